"""Start-up stays cheap: the CLI builds its parsers without loading the assistant, and the intent
classifier is trained once and then loaded from its disk cache, ranking exactly as when trained.
(What is imported and what is trained, not how long it takes: no test here depends on speed.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from procall import Assistant, Settings
from procall.nodes.understanding.local import classifier

HEAVY = ("sklearn", "scipy", "matplotlib", "grandalf", "langgraph", "langchain_core", "langsmith", "pydantic_settings")
MESSAGES = (
    "Hi! Part of my order never arrived.", "cancle my ordr #W1001002 pls", "I want to return the lamp",
    "can I swap these boots for a size 9", "where is my package??", "It's Mia Castillo, zip code 94110.",
    "talk to a human", "what's the weather like", "thanks, bye", "change the address of my pending order",
    "", "zzzz qqqq", "I'd rather get a refund, please.", "pay with paypal instead",
)


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running `code`."""
    wrapper = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def _commands() -> list[str]:
    from procall.cli.main import parser

    (commands,) = [a for a in parser()._actions if a.dest == "command"]
    return sorted(commands.choices)


@pytest.mark.parametrize("argv", [["--help"], *[[c, "--help"] for c in _commands()]], ids=" ".join)
def test_help_loads_no_heavy_library(argv):
    code = ("import contextlib, io\nfrom procall.cli.main import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit): main({argv!r})")
    heavy = loaded_after(code) & set(HEAVY)
    assert not heavy, heavy


def test_importing_procall_or_the_drawing_code_loads_no_heavy_library():
    heavy = loaded_after("import procall, procall.config, procall.drawing") & set(HEAVY) - {"pydantic_settings"}
    assert not heavy, heavy


@pytest.fixture
def fresh(monkeypatch):
    """No classifier kept in this process, and a count of trainings."""
    monkeypatch.setattr(classifier, "_cache", {})
    trainings: list[int] = []
    train = classifier._train

    def counted(texts, labels):
        trainings.append(len(texts))
        return train(texts, labels)

    monkeypatch.setattr(classifier, "_train", counted)
    return trainings


def test_second_assistant_start_loads_the_classifier_from_the_cache(home, fresh, monkeypatch):
    first = Assistant(Settings())
    first.close()
    trainings = len(fresh)  # one per set of examples the understander uses
    assert trainings >= 1
    assert len(list((home / "cache").glob(f"{classifier.CACHE_PREFIX}*.npz"))) == trainings
    trained = first.understander.classifier

    monkeypatch.setattr(classifier, "_cache", {})  # as in a new process
    second = Assistant(Settings())
    second.close()
    loaded = second.understander.classifier
    assert len(fresh) == trainings, "the second start trained again"
    assert loaded is not trained
    assert loaded.labels == trained.labels
    for text in MESSAGES:
        assert loaded.rank(text) == trained.rank(text)


@pytest.mark.slow
def test_a_started_assistant_with_a_cached_classifier_never_imports_scikit_learn(home, fresh):
    Assistant(Settings()).close()  # trains and caches
    code = "from procall import Assistant, Settings\nAssistant(Settings()).close()"
    heavy = loaded_after(code) & {"sklearn", "scipy", "matplotlib"}
    assert not heavy, heavy


EXAMPLES = {
    "cancel": ("cancel my order", "please cancel it", "i want to cancel the order"),
    "return": ("return the lamp", "i want to send it back", "return these shoes for a refund"),
    "track": ("where is my package", "track my order", "when will it arrive"),
}


def test_numpy_scoring_matches_scikit_learn_on_unseen_text():
    for examples in (EXAMPLES, {k: EXAMPLES[k] for k in ("cancel", "track")}):  # many classes, and two
        texts, labels = classifier.training_set(examples)
        pipeline = classifier.fit_pipeline(texts, labels)
        model = classifier.linear_model(pipeline)
        unseen = [classifier.normalise(t) for t in MESSAGES] + ["", "x", "a  b\tc", "ÉTÉ café naïve", "the the the"]
        expected = pipeline.predict_proba(unseen)
        got = np.array([model.probabilities(t) for t in unseen])
        assert np.allclose(got, expected, rtol=0, atol=classifier.AGREEMENT)


def test_the_cache_key_follows_the_examples(tmp_path, fresh):
    classifier.build(EXAMPLES, tmp_path)
    classifier.build({**EXAMPLES, "track": (*EXAMPLES["track"], "has it shipped yet")}, tmp_path)
    classifier.build(EXAMPLES, tmp_path)
    assert len(fresh) == 2 and len(list(tmp_path.glob("*.npz"))) == 2


@pytest.mark.parametrize("damage", [b"", b"not an npz file", None])
def test_an_unreadable_cache_is_trained_again_and_replaced(tmp_path, fresh, damage):
    trained = classifier.build(EXAMPLES, tmp_path)
    (path,) = tmp_path.glob("*.npz")
    if damage is None:  # a readable file made from other examples under this name
        other = classifier.linear_model(classifier.fit_pipeline(*classifier.training_set(
            {k: EXAMPLES[k] for k in ("cancel", "return")})))
        np.savez(path, **other.arrays("another key"))
    else:
        path.write_bytes(damage)
    again = classifier.build(EXAMPLES, tmp_path)
    assert len(fresh) == 2
    assert [again.rank(t) for t in MESSAGES] == [trained.rank(t) for t in MESSAGES]
    classifier.build(EXAMPLES, tmp_path)
    assert len(fresh) == 2, "the replaced cache file is read again"
    assert [p.name for p in tmp_path.iterdir()] == [path.name], "no temporary files are left behind"


def test_an_unwritable_cache_dir_still_gives_a_classifier(tmp_path, fresh):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    built = classifier.build(EXAMPLES, blocked / "cache")
    assert built.rank("please cancel my order")[0][0] == "cancel" and len(fresh) == 1


def test_the_cache_dir_comes_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCALL_HOME", str(tmp_path / "home"))
    assert Settings().model_cache == tmp_path / "home" / "cache"
    monkeypatch.setenv("PROCALL_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert Settings().model_cache == Path(tmp_path / "elsewhere")
