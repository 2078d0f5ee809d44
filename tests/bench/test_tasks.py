"""The course's tasks (`bench.tasks`): each scorer against hand-computed values, bad outputs as clear
errors, and whole runs of the real harness for the tasks whose inputs or outputs are new."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, get_args

import pytest

from bench.runner import run_submission
from bench.tasks import TASKS, CannotPrepareTask, CannotScoreOutputs, Context, compute_quality, task_named
from tests.bench.conftest import MakeTeam
from tests.conftest import ROOT
from validator.config import BenchConfig, TextToSpeechConfig
from validator.model import Task

COURSE = ROOT / "examples" / "course"


def values(metrics: list[Any]) -> dict[str, float]:
    return {m.name: m.value for m in metrics}


def test_every_task_of_the_manifest_has_a_scorer() -> None:
    assert set(TASKS) == set(get_args(Task))
    assert task_named("classification") is task_named("text-classification")
    with pytest.raises(CannotScoreOutputs, match="unknown task 'ocr'"):
        task_named("ocr")


def test_text_classification_is_scored_like_classification() -> None:
    metrics = compute_quality("text-classification", ["a", "b", "b", "c"], ["a", "a", "b", "c"])
    assert values(metrics) == pytest.approx({"accuracy": 75.0, "macro-F1": 700 / 9})
    with pytest.raises(CannotScoreOutputs, match=r"sample 2: a classification label must be .* not dict"):
        compute_quality("text-classification", ["a", {"label": "b"}], ["a", "b"])


def test_token_classification_entity_scores_with_seqeval() -> None:
    inputs = [{"words": ["Anna", "Petrova", "in", "Paris"]}, ["ITMO", "rocks"]]
    references = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    # Gold entities: PER, LOC, ORG. Predicted: PER (right), ORG over "Paris" (wrong type), ORG (right).
    outputs = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O"]]
    metrics = compute_quality("token-classification", outputs, references, inputs)
    assert values(metrics) == pytest.approx({"precision": 200 / 3, "recall": 200 / 3, "F1": 200 / 3})
    assert all(m.unit == "%" for m in metrics)
    # A span cut short is a miss at the entity level, although 3 of 4 tags are right.
    cut = compute_quality(
        "token-classification", [["B-PER", "O", "O", "B-LOC"]], [references[0]], [inputs[0]]
    )
    assert values(cut) == pytest.approx({"precision": 50.0, "recall": 50.0, "F1": 50.0})


def test_token_classification_names_the_sample_with_the_wrong_length() -> None:
    inputs = [["a", "b"], {"words": ["c", "d", "e"]}]
    with pytest.raises(CannotScoreOutputs, match="sample 2: 2 output tags for 3 words"):
        compute_quality("token-classification", [["O", "O"], ["O", "O"]], [["O", "O"], ["O"] * 3], inputs)
    with pytest.raises(CannotScoreOutputs, match=r"sample 1: .* a list of BIO tags"):
        task_named("token-classification").count(inputs[:1], ["O O"], 0)
    with pytest.raises(CannotScoreOutputs, match="sample 5: 1 output tags for 2 words"):
        task_named("token-classification").count(inputs[:1], [["O"]], 4)


def test_language_modeling_perplexity_of_known_log_likelihoods() -> None:
    outputs = [[-1.0, -2.0], [-3.0]]
    (metric,) = compute_quality("language-modeling", outputs, [None, None], ["ab", "c"])
    assert metric.name == "perplexity"
    assert metric.value == pytest.approx(math.exp(2.0))  # mean negative log-likelihood 6/3
    assert metric.std == pytest.approx(abs(math.exp(1.5) - math.exp(3.0)) / math.sqrt(2))
    task = task_named("language-modeling")
    assert task.speed == "tokens"
    assert task.count(["ab", "c"], outputs, 0).tokens == 3
    assert compute_quality("language-modeling", [[0.0, 1e-6]], [None])[0].value == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ([], "non-empty list of per-token log-likelihoods"),
        ("text", "non-empty list of per-token log-likelihoods, not str"),
        ([-1.0, 0.5], r"sample 1, token 2: 0.5 is not a log-likelihood"),
        ([-1.0, float("nan")], "token 2: nan is not a log-likelihood"),
        ([True], "token 1: True is not a log-likelihood"),
        (["x" * 10_000], r"token 1: 'x{36}\.\.\. is not a log-likelihood"),
    ],
)
def test_language_modeling_refuses_what_is_not_a_log_likelihood(output: Any, message: str) -> None:
    with pytest.raises(CannotScoreOutputs, match=message):
        compute_quality("language-modeling", [output], [None])


def test_image_classification_accuracy_and_top5(tmp_path: Path) -> None:
    labels = [f"c{i}" for i in range(7)]
    outputs = [labels, ["c9", "c8", "c2", *labels], ["c8", "c9", "c7", "c6", "c5", "c2"]]
    # References: c0 ranked first, c2 third, c2 sixth (outside the top 5).
    metrics = compute_quality("image-classification", outputs, ["c0", "c2", "c2"])
    assert values(metrics) == pytest.approx({"accuracy": 100 / 3, "top-5 accuracy": 200 / 3})
    single = compute_quality("image-classification", ["c0", ["c1"]], ["c0", "c0"])
    assert values(single) == {"accuracy": 50.0}  # not every output ranked: no top-5
    with pytest.raises(CannotScoreOutputs, match="sample 2: an empty list of labels"):
        task_named("image-classification").count(["a", "b"], ["x", []], 0)


def test_image_inputs_reach_the_child_as_paths_inside_the_team_folder(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"png")
    task = task_named("image-classification")
    given = task.child_inputs(["images/a.png", {"image": "images/a.png", "crop": 1}], tmp_path)
    image = str((tmp_path / "images" / "a.png").resolve())
    assert given == [image, {"image": image, "crop": 1}]
    with pytest.raises(CannotScoreOutputs, match=r"sample 2: image '\.\./x\.png' leaves the team's folder"):
        task.child_inputs(["images/a.png", "../x.png"], tmp_path)
    with pytest.raises(CannotScoreOutputs, match=r"sample 1: image 'images/b\.png' does not exist"):
        task.child_inputs(["images/b.png"], tmp_path)
    with pytest.raises(CannotScoreOutputs, match="sample 1: an image-classification input is an image path"):
        task.child_inputs([3], tmp_path)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ([0.1], "a text-to-speech output must be .*, not list"),
        ({"audio": [0.1], "sample_rate": 16000.5}, "sample_rate 16000.5 is not a whole number"),
        ({"audio": [0.1], "sample_rate": 10}, "sample_rate 10 is not a whole number of Hz"),
        ({"audio": [], "sample_rate": 16000}, "audio must be a non-empty list of floats"),
        ({"audio": [0.1, "x"], "sample_rate": 16000}, "audio sample 1 is 'x', not a finite float"),
        ({"audio": [0.1, None], "sample_rate": 16000}, "audio sample 1 is None"),
    ],
)
def test_text_to_speech_refuses_audio_that_is_not_audio(output: Any, message: str) -> None:
    with pytest.raises(CannotScoreOutputs, match=f"sample 3: {message}"):
        task_named("text-to-speech").count(["a b"], [output], 2)


def test_text_to_speech_counts_words_and_seconds_of_audio() -> None:
    counted = task_named("text-to-speech").count(
        ["Hello, world!", {"text": "one"}],
        [{"audio": [0.0] * 8000, "sample_rate": 16000}, {"audio": [0.1] * 4000, "sample_rate": 8000}],
        0,
    )
    assert (counted.tokens, counted.audio_seconds) == (3, 1.0)
    with pytest.raises(CannotScoreOutputs, match="sample 1: a text-to-speech input is the text"):
        task_named("text-to-speech").count([5], [{"audio": [0.0], "sample_rate": 16000}], 0)


def test_text_to_speech_needs_the_courses_speech_recognition_model(tmp_path: Path) -> None:
    task = task_named("text-to-speech")
    with pytest.raises(CannotPrepareTask, match=r"set \[bench.text_to_speech\] asr"):
        task.prepare(Context(config=BenchConfig(), course_root=tmp_path))
    missing = BenchConfig(text_to_speech=TextToSpeechConfig(asr_path="models/asr"))
    with pytest.raises(CannotPrepareTask, match="asr_path 'models/asr' is not a folder of the course"):
        task.prepare(Context(config=missing, course_root=tmp_path))


def test_text_to_speech_is_scored_on_the_courses_transcript_and_caps_the_length() -> None:
    """The example course's own tiny speech-recognition model transcribes; the text is the reference."""
    config = BenchConfig(text_to_speech=TextToSpeechConfig(asr_path="models/asr", max_seconds=1))
    context = Context(config=config, course_root=COURSE)
    task = task_named("text-to-speech")
    task.prepare(context)
    audio = [math.sin(i / 7) * 0.3 for i in range(11025)]
    metrics = task.score(["Hello world"], [{"audio": audio, "sample_rate": 22050}], [None], context)
    assert [m.name for m in metrics] == ["WER", "CER"]
    assert all(m.value >= 0 for m in metrics)
    with pytest.raises(CannotScoreOutputs, match=r"sample 1: 2.0 s of audio, over the course's limit of 1 s"):
        task.score(["x"], [{"audio": [0.0] * 32000, "sample_rate": 16000}], [None], context)


def test_a_tag_list_of_the_wrong_length_ends_the_run_naming_the_sample(
    make_team: MakeTeam, quick: BenchConfig
) -> None:
    manifest = make_team(
        """
        class S:
            def load(self, device):
                pass

            def predict(self, inputs):
                return [["O"] * (len(words) - (words[0] == "bad")) for words in inputs]
        """,
        inputs=[["a", "b"], ["bad", "c"], ["d"]],
        references=[["O", "O"], ["O", "O"], ["O"]],
        task="token-classification",
    )
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "error"
    assert result.error == "sample 2: 1 output tags for 2 words"


def test_language_modeling_run_counts_log_likelihoods_as_tokens(
    make_team: MakeTeam, quick: BenchConfig
) -> None:
    manifest = make_team(
        """
        class S:
            def load(self, device):
                pass

            def predict(self, inputs):
                return [[-0.5] * len(text) for text in inputs]
        """,
        inputs=["abc", "de", "fghi"],
        task="language-modeling",
    )
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "ok", result.error
    assert result.cpu_speed is not None and result.cpu_speed.unit == "tokens/s"
    assert values(result.quality) == pytest.approx({"perplexity": math.exp(0.5)})


def test_image_paths_open_inside_the_sandbox(make_team: MakeTeam, quick: BenchConfig) -> None:
    """The child gets each image's absolute path and can read it (the data file is hidden, the images not)."""
    manifest = make_team(
        """
        class S:
            def load(self, device):
                pass

            def predict(self, inputs):
                try:
                    hidden = open("data/eval.jsonl").read() or "hidden"
                except OSError:
                    hidden = "hidden"
                return [[open(p).read().strip(), hidden] for p in inputs]
        """,
        inputs=["a.txt", "b.txt"],
        references=["cat", "cat"],
        task="image-classification",
    )
    (manifest.folder / "a.txt").write_text("cat")
    (manifest.folder / "b.txt").write_text("dog")
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "ok", result.error
    assert values(result.quality) == {"accuracy": 50.0, "top-5 accuracy": 50.0}


def test_the_manifest_template_guesses_the_task_from_the_rows_metrics() -> None:
    from bench.manifest import parse_manifest
    from validator.model import Metric, Row
    from validator.teams import manifest_template

    def row(method: str, *names: str) -> Row:
        return Row(line=1, model="m", method=method, quality=[Metric(name=n, value=1.0) for n in names])

    rows = [
        row("tts", "NISQA-MOS", "WER"),
        row("asr", "WER"),
        row("lm", "perplexity"),
        row("ner", "precision", "F1"),
        row("cls", "Accuracy"),
        row("other", "BLEU"),
        row("none"),
    ]
    manifest = parse_manifest(manifest_template("team", rows), Path("bench.toml"))
    assert [(r.method, r.task) for r in manifest.runs] == [
        ("tts", "text-to-speech"),
        ("asr", "speech-recognition"),
        ("lm", "language-modeling"),
        ("ner", "token-classification"),
        ("cls", "text-classification"),
        ("other", "text-generation"),
        ("none", "generic"),
    ]


def test_onnx_runtime_runs_inside_the_sandbox(make_team: MakeTeam, quick: BenchConfig) -> None:
    """An ONNX Runtime submission: its session on the harness's thread count, its scratch in the
    sandbox's private /tmp, the declared .onnx file as the weights size, the parent's scoring."""
    import shutil

    from bench.sandbox import find_sandbox

    onnx = COURSE / "submissions" / "sentiment_crew" / "model.onnx"
    manifest = make_team(
        """
        import os

        import numpy as np
        import onnxruntime


        class S:
            def load(self, device):
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = int(os.environ["OMP_NUM_THREADS"])
                options.optimized_model_filepath = "/tmp/optimized.onnx"
                self.session = onnxruntime.InferenceSession("model.onnx", options)
                assert os.path.getsize("/tmp/optimized.onnx") > 0

            def predict(self, inputs):
                ids = np.array([[1, 5 + n, 2] + [0] * 13 for n in inputs], dtype=np.int64)
                mask = (ids > 0).astype(np.int64)
                (logits,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
                return [int(row.argmax()) for row in logits]
        """,
        inputs=[1, 2, 3, 4],
        references=[0, 1, 0, 1],
        task="text-classification",
        weights="model.onnx",
    )
    shutil.copy(onnx, manifest.folder / "model.onnx")
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "ok", (result.error, result.log_tail)
    assert result.sandbox == find_sandbox().kind
    assert result.threads is None  # no torch in the process: the team's session took OMP_NUM_THREADS
    assert result.weights_size is not None
    assert result.weights_size.value == pytest.approx(onnx.stat().st_size / 2**20, abs=0.01)
    assert result.weights_source == "files" and result.weights_unopened in ([], None)
    assert [m.name for m in result.quality] == ["accuracy", "macro-F1"]


def test_text_to_speech_reads_a_pinned_hub_model_from_the_cache_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`asr = {repo, revision}`: fetched by the judge's hub step into the course's hub cache; with no
    hub to reach, the cached snapshot as it is."""
    import shutil

    from bench.tasks.text_to_speech import model_folder
    from validator.model import HubArtifact

    sha = "0123456789abcdef0123456789abcdef01234567"
    snapshot = tmp_path / "hub" / "models--course--asr-tiny" / "snapshots" / sha
    shutil.copytree(COURSE / "models" / "asr", snapshot)
    # No hub to reach: a download attempt fails at once. The constant too, in case huggingface_hub
    # was imported before this test (it reads the environment once).
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    cache = str(tmp_path / "hub")
    pinned = TextToSpeechConfig(asr=HubArtifact(repo="course/asr-tiny", revision=sha))
    assert model_folder(pinned, None, cache) == snapshot
    task_named("text-to-speech").prepare(Context(config=BenchConfig(text_to_speech=pinned, hub_cache=cache)))
    other = TextToSpeechConfig(asr=HubArtifact(repo="course/asr-tiny", revision="f" * 40))
    with pytest.raises(CannotPrepareTask, match=r"speech-recognition model: course/asr-tiny@ffffffffffff"):
        model_folder(other, None, cache)


def test_every_scorer_is_loaded_before_a_child_runs() -> None:
    """`prepare_scoring` (the runner's `prepare_judge`) imports what scoring imports: an unprotected
    child cannot rewrite a module the judge would import after it ran. In a fresh interpreter."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from bench.tasks import prepare_scoring\n"
        "before = {'jiwer', 'seqeval.metrics'} & set(sys.modules)\n"
        "prepare_scoring()\n"
        "print(sorted(before), sorted({'jiwer', 'seqeval.metrics'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split("\n")[0] == "[] ['jiwer', 'seqeval.metrics']"
