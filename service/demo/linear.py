"""A small numpy MLP fitted to x = 0..99, y = 2x + 3, beside the exact least-squares line."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

X = np.arange(100, dtype=np.float64)
Y = 2.0 * X + 3.0


@dataclass
class LinearDemoResult:
    """What the network learned, next to what algebra gives exactly."""

    seed: int
    epochs: int
    hidden: int
    learning_rate: float
    x: float
    mlp_prediction: float
    exact: float  # 2x + 3
    lstsq_slope: float
    lstsq_intercept: float
    lstsq_prediction: float
    final_loss: float
    losses: list[tuple[int, float]] = field(default_factory=list)  # (epoch, MSE in y units^2)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def least_squares() -> tuple[float, float]:
    """Slope and intercept of the exact least-squares line through the data."""
    design = np.stack([X, np.ones_like(X)], axis=1)
    (slope, intercept), *_ = np.linalg.lstsq(design, Y, rcond=None)
    return float(slope), float(intercept)


class MLP:
    """1 -> hidden (tanh) -> 1, trained full-batch with Adam on standardised x and y."""

    def __init__(self, hidden: int, rng: np.random.Generator):
        self.params = {"w1": rng.normal(0, 1.0, (1, hidden)), "b1": np.zeros(hidden),
                       "w2": rng.normal(0, 1.0 / np.sqrt(hidden), (hidden, 1)), "b2": np.zeros(1)}
        self.moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in self.params.items()}
        self.step = 0

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.tanh(x @ self.params["w1"] + self.params["b1"])
        return h @ self.params["w2"] + self.params["b2"], h

    def train_step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One Adam step on the mean squared error; returns the loss before the step."""
        out, h = self.forward(x)
        error = out - y
        d_out = 2 * error / len(x)
        d_h = (d_out @ self.params["w2"].T) * (1 - h**2)
        grads = {"w2": h.T @ d_out, "b2": d_out.sum(0), "w1": x.T @ d_h, "b1": d_h.sum(0)}
        self.step += 1
        for name, grad in grads.items():
            m, v = self.moments[name]
            m[:] = 0.9 * m + 0.1 * grad
            v[:] = 0.999 * v + 0.001 * grad**2
            m_hat, v_hat = m / (1 - 0.9**self.step), v / (1 - 0.999**self.step)
            self.params[name] -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        return float(np.mean(error**2))


def train(seed: int = 0, epochs: int = 2000, hidden: int = 16, learning_rate: float = 0.01,
          x: float = 50.0, on_progress: Callable[[int, float], None] | None = None,
          checkpoints: int = 10) -> LinearDemoResult:
    """Fit the MLP; report the loss `checkpoints` times; predict y at `x`."""
    x_mean, x_std, y_mean, y_std = X.mean(), X.std(), Y.mean(), Y.std()
    xs, ys = ((X - x_mean) / x_std)[:, None], ((Y - y_mean) / y_std)[:, None]
    model = MLP(hidden, np.random.default_rng(seed))
    every = max(1, epochs // checkpoints)
    losses = []
    for epoch in range(1, epochs + 1):
        loss = float(model.train_step(xs, ys, learning_rate) * y_std**2)  # back in y units
        if epoch % every == 0 or epoch in (1, epochs):
            losses.append((epoch, loss))
            if on_progress:
                on_progress(epoch, loss)
    prediction = model.forward(np.array([[(x - x_mean) / x_std]]))[0]
    final = float(np.mean((model.forward(xs)[0] - ys) ** 2) * y_std**2)
    slope, intercept = least_squares()
    return LinearDemoResult(seed, epochs, hidden, learning_rate, float(x),
                            float(prediction[0, 0] * y_std + y_mean), 2.0 * x + 3.0,
                            slope, intercept, slope * x + intercept, final, losses)
