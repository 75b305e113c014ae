"""Diversity of generated continuations: distinct-n, repetition, length and Self-BLEU."""

import math
from collections import Counter
from collections.abc import Sequence

Seq = Sequence[int]
SELF_BLEU_SMOOTHING = "chen-cherry-1 (epsilon 0.1 added to zero n-gram matches)"
REPETITION_N = 4


def ngrams(tokens: Seq, n: int) -> list[tuple[int, ...]]:
    """The n-grams of one sequence, in order."""
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(continuations: Sequence[Seq], n: int) -> float:
    """Distinct n-grams over all continuations / all n-grams (Li et al. 2016); 0 if none."""
    grams = [g for seq in continuations for g in ngrams(seq, n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition_rate(continuations: Sequence[Seq], n: int = REPETITION_N) -> float:
    """seq-rep-n (Welleck et al. 2019): the share of a continuation's n-grams that repeat an
    earlier one in it, 1 - unique/total, averaged over continuations that have any n-gram."""
    rates = []
    for seq in continuations:
        grams = ngrams(seq, n)
        if grams:
            rates.append(1.0 - len(set(grams)) / len(grams))
    return sum(rates) / len(rates) if rates else 0.0


def mean_length(continuations: Sequence[Seq]) -> float:
    """Mean generated tokens per continuation."""
    return sum(map(len, continuations)) / len(continuations) if continuations else 0.0


def sentence_bleu(hypothesis: Seq, references: Sequence[Seq], max_n: int = 4,
                  epsilon: float = 0.1) -> float:
    """BLEU-4 with uniform weights, clipped counts over all references, the closest reference
    length for the brevity penalty, and Chen & Cherry's method 1 for zero matches."""
    if not hypothesis or not references:
        return 0.0
    log_precision = 0.0
    for n in range(1, max_n + 1):
        counts = Counter(ngrams(hypothesis, n))
        total = sum(counts.values())
        if total == 0:  # hypothesis shorter than n: that precision is undefined, count it 0
            return 0.0
        best: Counter = Counter()
        for reference in references:
            best |= Counter(ngrams(reference, n))
        matched = sum(min(c, best[g]) for g, c in counts.items())
        log_precision += math.log((matched or epsilon) / total) / max_n
    closest = min((abs(len(r) - len(hypothesis)), len(r)) for r in references)[1]
    brevity = 1.0 if len(hypothesis) > closest else math.exp(1 - closest / len(hypothesis))
    return brevity * math.exp(log_precision)


def self_bleu(continuations: Sequence[Seq]) -> float:
    """Mean BLEU of each continuation against all the others (Zhu et al. 2018); lower = more
    diverse. Needs at least two continuations."""
    if len(continuations) < 2:
        return 0.0
    scores = [sentence_bleu(seq, [*continuations[:i], *continuations[i + 1:]])
              for i, seq in enumerate(continuations)]
    return sum(scores) / len(scores)


def generation_stats(groups: Sequence[Sequence[Seq]], with_self_bleu: bool = False) -> dict:
    """Statistics of one sweep cell: distinct-n pooled over every continuation; repetition and
    length averaged over continuations; Self-BLEU within each prompt's group, averaged."""
    flat = [seq for group in groups for seq in group]
    stats = {f"distinct_{n}": distinct_n(flat, n) for n in (1, 2, 3, 4)}
    stats.update(repetition_rate=repetition_rate(flat), mean_length=mean_length(flat),
                 n_continuations=len(flat), n_tokens=sum(map(len, flat)))
    if with_self_bleu:
        per_prompt = [self_bleu(group) for group in groups if len(group) > 1]
        stats["self_bleu"] = sum(per_prompt) / len(per_prompt) if per_prompt else 0.0
    return stats
