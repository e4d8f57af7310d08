"""Cross-validated accuracy of the local intent classifier, on the examples it is trained on.

    python -m procall.evals.intent_cv [--folds 5] [--seed 0]

Every process's `examples` and the meta intents (answers, cancel, small talk, goodbye, out of scope,
other customers) are split into stratified folds; each fold is classified by a classifier trained on
the others (the same training as at start-up, without the cache). Prints accuracy overall and per
intent, and the most frequent confusions. A figure to watch as examples grow from the role-played
corpus, not a test.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procall.evals.intent_cv", description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from ..graphs.catalogue import build_processes
    from ..nodes.services import Services
    from ..nodes.understanding.local.classifier import classifier_for
    from ..nodes.understanding.local.intents import META_EXAMPLES

    catalogue, _ = build_processes(Services(gateway=None))
    examples = {s.name: tuple(s.examples) for s in catalogue.requests if s.examples}
    examples.update(META_EXAMPLES)
    rng = random.Random(args.seed)
    folds: list[list[tuple[str, str]]] = [[] for _ in range(args.folds)]
    for label, texts in sorted(examples.items()):
        shuffled = list(dict.fromkeys(texts))
        rng.shuffle(shuffled)
        for i, text in enumerate(shuffled):
            folds[i % args.folds].append((label, text))
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    for k, held_out in enumerate(folds):
        training: dict[str, list[str]] = defaultdict(list)
        for j, fold in enumerate(folds):
            if j != k:
                for label, text in fold:
                    training[label].append(text)
        classifier = classifier_for({label: tuple(texts) for label, texts in training.items()})
        for label, text in held_out:
            guess = classifier.rank(text)[0][0]
            seen[label] += 1
            if guess == label:
                right[label] += 1
            else:
                confusions[(label, guess)] += 1
    total = sum(seen.values())
    print(f"intent classifier, {args.folds}-fold cross-validation on {total} examples of {len(seen)} intents")
    print(f"  accuracy {sum(right.values()) / total:.3f}")
    for label in sorted(seen, key=lambda name: right[name] / seen[name]):
        print(f"  {label:24} {right[label] / seen[label]:.2f}  ({right[label]}/{seen[label]})")
    print("  most frequent confusions: " + ", ".join(f"{a}->{b} {n}" for (a, b), n in confusions.most_common(8)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
