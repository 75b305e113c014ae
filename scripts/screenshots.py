"""Take the README's screenshots: `logitlab serve` over a fresh demo sweep, headless Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

SWEEP = ["--source", "gaussian:V=2000,sigma=2,rows=8,seed=0", "--temperature", "0.1:2.0:10",
         "--top-p", "0.3:1.0:8", "--samples", "200", "--seed", "1", "--name", "demo"]
PLAYGROUND = "/?source=lm&text=Elon+Musk+is+an&temperature=0.8&top_p=0.9&top=12&n=16"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900"]


def _bin(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else (shutil.which(name) or name)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(folder: Path) -> tuple[subprocess.Popen, str]:
    db = f"sqlite:///{folder / 'demo.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGITLAB_")}
    env["LOGITLAB_DATABASE_URL"] = db
    subprocess.run([_bin("logitlab"), "sweep", *SWEEP, "--db", db], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    port = _port()
    process = subprocess.Popen([_bin("logitlab"), "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def _browser(profile: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"),
                            options=options)


def take(out: Path) -> list[Path]:
    """Save playground.png and run.png under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        process, base = _serve(Path(folder))
        driver = _browser(str(Path(folder) / "profile"))
        wait = WebDriverWait(driver, 60)
        try:
            driver.get(base + PLAYGROUND)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#chart g.bar"))
            wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state")
                       == "idle")
            driver.find_element(By.ID, "sample-button").click()
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#samples li.chip"))
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(out / "playground.png"))
            driver.get(base + "/runs/1?metric=entropy")
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#heatmap rect.cell")) == 80)
            driver.execute_script("document.getElementById('view').scrollIntoView()")
            cell = driver.find_elements(By.CSS_SELECTOR, "#heatmap rect.cell")[45]
            webdriver.ActionChains(driver).move_to_element(cell).perform()
            wait.until(lambda d: d.find_element(By.ID, "tooltip").is_displayed())
            driver.save_screenshot(str(out / "run.png"))
        finally:
            driver.quit()
            process.terminate()
            process.wait(15)
    return [out / "playground.png", out / "run.png"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    for path in take(parser.parse_args().out):
        print(path, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
