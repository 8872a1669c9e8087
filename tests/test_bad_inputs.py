"""Every kind of bad input, refused before any work with one exact ``Error:`` line.

Each case runs the CLI in a fresh folder holding the files it needs and checks
the exit code (1 for bad input, 2 for click's usage errors) and the one
``Error:`` line word for word: it names the key or flag, the value given and
what is allowed. ``python tests/test_bad_inputs.py`` prints the whole table.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nnviz.cli import cli


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    message: str  # the whole Error line
    files: dict[str, str] = field(default_factory=dict)


T = ("train", "-q", "--epochs", "2")
A = ("animate", "-q", "--epochs", "2", "--grid", "8", "--size", "128x64")
ACTIVATIONS = "linear, sigmoid, tanh, relu, leaky_relu, gelu, gelu_erf, silu, softplus"
CFG_KEYS_TRAIN = "optimizer, lr, batch_size, epochs, stop_loss, seed, weight_decay, snapshot_every, dtype"
HIDDEN = "must be a list of 1 to 16 widths from 1 to 1024, e.g. 2 or 4,2"
SIZE = "must be WIDTHxHEIGHT in pixels, each from 64 to 4096, e.g. 1200x400"
GOOD_CSV = "x0,x1,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n"

CASES = [
    # --- unknown names --------------------------------------------------------------
    Case("activation", (*T, "--activation", "swish"), 1,
         f"Error: --activation = 'swish' is invalid: unknown name; valid: {ACTIVATIONS}"),
    Case("optimizer", (*T, "--optimizer", "adamw"), 1,
         "Error: --optimizer = 'adamw' is invalid: unknown name; valid: sgd, momentum, adam, rmsprop"),
    Case("dataset", (*T, "--dataset", "imagenet"), 1,
         "Error: --dataset = 'imagenet' is invalid: unknown name; valid: blobs, blobs3, xor, sine, circles, moons, "
         "spiral, gaussians, digits, csv, recorded, mnist"),
    Case("init", (*T, "--init", "zeros"), 1,
         "Error: --init = 'zeros' is invalid: unknown name; valid: glorot_uniform, he_normal, normal, "
         "truncated_normal, uniform"),
    Case("loss", (*T, "--loss", "hinge"), 1,
         "Error: --loss = 'hinge' is invalid: unknown name; valid: auto, bce, ce, mse, sse"),
    Case("loss-for-task", (*T, "--dataset", "sine", "--loss", "bce"), 1,
         "Error: model.loss = 'bce' is invalid for the regression task of dataset 'sine'; valid: auto, mse, sse"),
    Case("format", (*A, "--format", "webm"), 1,
         "Error: --format = 'webm' is invalid: unknown name; valid: gif, mp4, webp, html, png"),
    Case("engine", (*A, "--engine", "opengl"), 1,
         "Error: --engine = 'opengl' is invalid: unknown name; valid: stream, celluloid"),
    Case("panel", (*A, "--panels", "input,foo"), 1,
         "Error: --panels = 'input,foo' is invalid: must be a comma-separated list of distinct panels from: "
         "input, hidden, activation, loss, layers, neurons, hidden3d, activation3d, network, landscape"),
    Case("panel-twice", (*A, "--panels", "input,input"), 1,
         "Error: --panels = 'input,input' is invalid: must be a comma-separated list of distinct panels from: "
         "input, hidden, activation, loss, layers, neurons, hidden3d, activation3d, network, landscape"),
    Case("panel-3d-narrow", (*A, "--hidden", "3,2", "--panels", "input,activation3d"), 1,
         "Error: --panels activation3d draws a hidden layer of 3 or more units in 3-D, "
         "and layer 2 has 2: pick one with --layer 1"),
    Case("out-suffix", (*A, "--out", "x.webm"), 1,
         "Error: --out 'x.webm' has an unknown suffix '.webm'; valid: .gif, .mp4, .webp, .html, .png"),
    Case("flag", (*T, "--bogus"), 2, "Error: No such option '--bogus'. Did you mean '--loss'?"),
    Case("command", ("trian",), 2, "Error: No such command 'trian'. Did you mean 'train'?"),
    # --- numbers: non-numeric, negative, zero, out of range ---------------------------
    Case("lr-text", (*T, "--lr", "fast"), 2, "Error: Invalid value for '--lr': 'fast' is not a valid float."),
    Case("lr-negative", (*T, "--lr", "-1"), 1, "Error: --lr = -1.0 is invalid: must be a number > 0 and <= 1e+06"),
    Case("lr-zero", (*T, "--lr", "0"), 1, "Error: --lr = 0.0 is invalid: must be a number > 0 and <= 1e+06"),
    Case("lr-nan", (*T, "--lr", "nan"), 1, "Error: --lr = nan is invalid: must be a number > 0 and <= 1e+06"),
    Case("lr-overflow", (*T, "--lr", "1e400"), 1, "Error: --lr = inf is invalid: must be a number > 0 and <= 1e+06"),
    Case("epochs-zero", (*T, "--epochs", "0"), 1,
         "Error: --epochs = 0 is invalid: must be a whole number from 1 to 100000"),
    Case("epochs-negative", (*T, "--epochs", "-5"), 1,
         "Error: --epochs = -5 is invalid: must be a whole number from 1 to 100000"),
    Case("epochs-cap", (*T, "--epochs", "100001"), 1,
         "Error: --epochs = 100001 is invalid: must be a whole number from 1 to 100000"),
    Case("epochs-float", (*T, "--epochs", "1e3"), 2,
         "Error: Invalid value for '--epochs': '1e3' is not a valid integer."),
    Case("batch-zero", (*T, "--batch-size", "0"), 1,
         "Error: --batch-size = '0' is invalid: must be a whole number >= 1 or 'full'"),
    Case("batch-fraction", (*T, "--batch-size", "1.5"), 1,
         "Error: --batch-size = '1.5' is invalid: must be a whole number >= 1 or 'full'"),
    Case("hidden-empty-width", (*T, "--hidden", "2,,3"), 1, f"Error: --hidden = '2,,3' is invalid: {HIDDEN}"),
    Case("hidden-width-cap", (*T, "--hidden", "2000"), 1, f"Error: --hidden = '2000' is invalid: {HIDDEN}"),
    Case("hidden-depth-cap", (*T, "--hidden", ",".join(["2"] * 17)), 1,
         f"Error: --hidden = '{','.join(['2'] * 17)}' is invalid: {HIDDEN}"),
    Case("seed-negative", (*T, "--seed", "-1"), 1,
         "Error: --seed = -1 is invalid: must be a whole number from 0 to 4294967295"),
    Case("samples-few", (*T, "--n-samples", "3"), 1,
         "Error: --n-samples = 3 is invalid: must be a whole number from 4 to 1000000"),
    Case("samples-cap", (*T, "--n-samples", "1000001"), 1,
         "Error: --n-samples = 1000001 is invalid: must be a whole number from 4 to 1000000"),
    Case("samples-x-width-cap", (*T, "--n-samples", "1000000", "--hidden", "1024,1024"), 1,
         "Error: 1000000 samples x 2048 hidden units (--hidden 1024,1024) = 2,048,000,000 activations per pass "
         "exceeds the cap of 20,000,000; use fewer samples (--n-samples) or narrower layers"),
    Case("noise-negative", (*T, "--noise", "-1"), 1,
         "Error: --noise = -1.0 is invalid: must be a number >= 0 and <= 10"),
    Case("test-fraction", (*T, "--test-fraction", "0.95"), 1,
         "Error: --test-fraction = 0.95 is invalid: must be a number >= 0 and <= 0.9"),
    Case("stop-loss-negative", (*T, "--stop-loss", "-1"), 1,
         "Error: --stop-loss = -1.0 is invalid: must be a number >= 0"),
    Case("fps-zero", (*A, "--fps", "0"), 1, "Error: --fps = 0.0 is invalid: must be a number >= 0.01 and <= 100"),
    Case("fps-cap", (*A, "--fps", "101"), 1, "Error: --fps = 101.0 is invalid: must be a number >= 0.01 and <= 100"),
    Case("grid-zero", (*A, "--grid", "0"), 1, "Error: --grid = 0 is invalid: must be a whole number from 2 to 1000"),
    Case("grid-cap", (*A, "--grid", "1001"), 1,
         "Error: --grid = 1001 is invalid: must be a whole number from 2 to 1000"),
    Case("grid-huge", (*A, "--grid", "100000000"), 1,
         "Error: --grid = 100000000 is invalid: must be a whole number from 2 to 1000"),
    Case("size-small", (*A, "--size", "10x10"), 1, f"Error: --size = '10x10' is invalid: {SIZE}"),
    Case("size-cap", (*A, "--size", "5000x400"), 1, f"Error: --size = '5000x400' is invalid: {SIZE}"),
    Case("size-text", (*A, "--size", "big"), 1, f"Error: --size = 'big' is invalid: {SIZE}"),
    Case("every-zero", (*A, "--every", "0"), 1,
         "Error: --every = 0 is invalid: must be a whole number from 1 to 100000"),
    Case("hold-negative", (*A, "--hold", "-1"), 1, "Error: --hold = -1.0 is invalid: must be a number >= 0 and <= 60"),
    Case("layer-missing", (*A, "--layer", "2"), 1,
         "Error: --layer = 2 is invalid: the network has hidden layers 1..1"),
    # --- config files ---------------------------------------------------------------
    Case("config-missing", (*T, "--config", "nope.toml"), 1, "Error: config file 'nope.toml' does not exist, and no "
         "shipped config has that name; shipped: blobs-relu, blobs-tanh, blobs3, digits, docs, sine, spiral, sweep-activation-lr, xor (nnviz configs describes them)"),
    Case("config-missing-path", (*T, "--config", "sub/nope.toml"), 1, "Error: config file 'sub/nope.toml' does not exist"),
    Case("config-folder", (*T, "--config", "folder"), 2,
         "Error: Invalid value for '--config': File 'folder' is a directory.", {"folder/keep": ""}),
    Case("toml-broken", (*T, "--config", "c.toml"), 1,
         "Error: config file 'c.toml' is not valid TOML: Expected ']' at the end of a table declaration "
         "(at line 1, column 7)", {"c.toml": "[train\nlr = 1\n"}),
    Case("toml-not-utf8", (*T, "--config", "c.toml"), 1, "Error: config file 'c.toml' is not UTF-8 text",
         {"c.toml": "\udcff\udcfe"}),
    Case("toml-unknown-table", (*T, "--config", "c.toml"), 1,
         "Error: unknown table [trian] in c.toml; valid: [data], [model], [train], [render]",
         {"c.toml": "[trian]\nlr = 1\n"}),
    Case("toml-unknown-key", (*T, "--config", "c.toml"), 1,
         f"Error: unknown key train.learning_rate in c.toml; valid keys in [train]: {CFG_KEYS_TRAIN}",
         {"c.toml": "[train]\nlearning_rate = 0.1\n"}),
    Case("toml-wrong-type", (*T, "--config", "c.toml"), 1,
         "Error: train.lr in c.toml = 'fast' is invalid: must be a number > 0 and <= 1e+06",
         {"c.toml": '[train]\nlr = "fast"\n'}),
    Case("toml-bool-for-int", (*T, "--config", "c.toml"), 1,
         "Error: train.epochs in c.toml = true is invalid: must be a whole number from 1 to 100000",
         {"c.toml": "[train]\nepochs = true\n"}),
    Case("toml-nan", (*T, "--config", "c.toml"), 1,
         "Error: train.lr in c.toml = nan is invalid: must be a number > 0 and <= 1e+06",
         {"c.toml": "[train]\nlr = nan\n"}),
    Case("toml-table-for-list", (*T, "--config", "c.toml"), 1,
         f'Error: model.hidden in c.toml = {{"a": 1}} is invalid: {HIDDEN}',
         {"c.toml": "[model]\nhidden = {a = 1}\n"}),
    Case("toml-not-a-table", (*T, "--config", "c.toml"), 1,
         "Error: train in c.toml must be a table like [train], not 3", {"c.toml": "train = 3\n"}),
    Case("toml-sweep-to-train", (*T, "--config", "c.toml"), 1,
         "Error: c.toml has a [sweep] table: run it with 'nnviz sweep c.toml'",
         {"c.toml": '[sweep]\n"train.lr" = [0.1]\n'}),
    # --- CSV files ------------------------------------------------------------------
    Case("csv-missing", (*T, "--data", "nope.csv"), 1, "Error: data file not found: nope.csv"),
    Case("csv-folder", (*T, "--data", "folder"), 1,
         "Error: data.path folder is a folder; give a CSV file", {"folder/keep": ""}),
    Case("csv-empty", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv is empty; expected a header row, then data rows", {"d.csv": ""}),
    Case("csv-header-only", (*T, "--data", "d.csv"), 1, "Error: data file d.csv has a header but no data rows",
         {"d.csv": "x0,x1,label\n"}),
    Case("csv-one-column", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv has 1 column ('label'); need at least 2: one or more features and a target "
         "column", {"d.csv": "label\n0\n1\n"}),
    Case("csv-missing-column", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv: line 3: expected 3 fields, found 2", {"d.csv": "x0,x1,label\n0,0,0\n1,1\n"}),
    Case("csv-missing-value", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv: line 3, column 'x1': missing value", {"d.csv": "x0,x1,label\n0,0,0\n1,,1\n"}),
    Case("csv-non-numeric", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv: line 4, column 'x0': 'abc' is not a number",
         {"d.csv": "x0,x1,label\n0,0,0\n1,1,1\nabc,1,1\n"}),
    Case("csv-nan", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv: line 3, column 'x1': NaN is not allowed; every value must be a finite number",
         {"d.csv": "x0,x1,label\n0,0,0\n1,nan,1\n"}),
    Case("csv-inf", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv: line 2, column 'x0': 'inf' is not allowed; every value must be a finite number",
         {"d.csv": "x0,x1,label\ninf,0,0\n1,1,1\n"}),
    Case("csv-single-class", (*T, "--data", "d.csv"), 1,
         "Error: target column 'label' has a single class (0); need at least 2",
         {"d.csv": "x0,x1,label\n0,0,0\n1,1,0\n"}),
    Case("csv-binary-three-classes", (*T, "--data", "d.csv", "--task", "binary"), 1,
         "Error: task = 'binary' needs exactly 2 distinct target values; column 'label' has 3 (0, 1, 2)",
         {"d.csv": "x0,x1,label\n0,0,0\n1,1,1\n2,2,2\n"}),
    Case("csv-duplicate-header", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv: line 1: column name 'x' appears twice; names must be unique",
         {"d.csv": "x,x,label\n0,0,0\n1,1,1\n"}),
    Case("csv-not-utf8", (*T, "--data", "d.csv"), 1,
         "Error: data file d.csv is not UTF-8 text (bad byte at offset 12); save it as UTF-8",
         {"d.csv": "x0,x1,label\n\udcff,0,0\n"}),
    Case("csv-too-large-values", (*T, "--data", "d.csv"), 1,
         "Error: the loss of the untrained network is not finite (the loss became non-finite at epoch 0): the csv "
         "data holds values too large to compute with; rescale them (e.g. to within +-1000)",
         {"d.csv": "x0,x1,t\n0,0,1e308\n1,1,-1e308\n0,1,0\n"}),
    Case("csv-without-path", (*T, "--dataset", "csv"), 1,
         "Error: data.name = 'csv' needs a file: set data.path or pass --data PATH"),
    Case("csv-path-for-generated", (*T, "--dataset", "blobs", "--data", "d.csv"), 1,
         "Error: data.path is only used by the file datasets (csv, recorded, mnist), not 'blobs'; set data.name to one of those "
         "or drop data.path",
         {"d.csv": GOOD_CSV}),
    # --- outputs that cannot be written ----------------------------------------------
    Case("history-under-a-file", (*T, "--history", "somefile.txt/h.csv"), 1,
         "Error: --history = 'somefile.txt/h.csv' is not writable: cannot create folder 'somefile.txt' for "
         "'h.csv': a file is in the way", {"somefile.txt": "x"}),
    Case("history-in-proc", (*T, "--history", "/proc/h.csv"), 1,
         "Error: --history = '/proc/h.csv' is not writable: cannot write to '/proc' (for 'h.csv'): No such file or directory"),
    Case("history-device", (*T, "--history", "/dev/null"), 1,
         "Error: --history = '/dev/null' is not writable: cannot write '/dev/null': it is not a regular file "
         "(a device or pipe)"),
    Case("history-folder", (*T, "--history", "folder"), 2,
         "Error: Invalid value for '--history': File 'folder' is a directory.", {"folder/keep": ""}),
    # --- sweeps -----------------------------------------------------------------------
    Case("sweep-missing", ("sweep", "nope"), 1, "Error: config file 'nope' does not exist, and no shipped config "
         "has that name; shipped: blobs-relu, blobs-tanh, blobs3, digits, docs, sine, spiral, sweep-activation-lr, xor (nnviz configs describes them)"),
    Case("sweep-no-table", ("sweep", "s.toml"), 1,
         "Error: s.toml has no [sweep] table; add one, e.g. [sweep] \"train.lr\" = [0.1, 0.01]",
         {"s.toml": "[train]\nlr = 0.1\n"}),
    Case("sweep-empty-list", ("sweep", "s.toml"), 1,
         "Error: [sweep] 'train.lr' in s.toml is an empty list; give at least one value",
         {"s.toml": '[sweep]\n"train.lr" = []\n'}),
    Case("sweep-bad-value", ("sweep", "s.toml"), 1,
         "Error: [sweep] 'train.lr' in s.toml: -1 is invalid: must be a number > 0 and <= 1e+06",
         {"s.toml": '[sweep]\n"train.lr" = [-1]\n'}),
    Case("sweep-not-a-list", ("sweep", "s.toml"), 1,
         "Error: [sweep] 'train.lr' in s.toml must be a list of values, e.g. [0.1], not 0.1",
         {"s.toml": '[sweep]\n"train.lr" = 0.1\n'}),
    Case("sweep-jobs-zero", ("sweep", "s.toml", "--jobs", "0"), 2,
         "Error: Invalid value for '--jobs' / '-j': 0 is not in the range x>=1.",
         {"s.toml": '[sweep]\n"train.lr" = [0.1]\n'}),
]

# Outputs under a regular file, in /proc or on a device must fail before any training.
ANIMATE_OUT_CASES = [
    Case("out-under-a-file", (*A, "--out", "somefile.txt/a.gif"), 1,
         "Error: --out = 'somefile.txt/a.gif' is not writable: cannot create folder 'somefile.txt' for 'a.gif': "
         "a file is in the way", {"somefile.txt": "x"}),
    Case("out-in-proc", (*A, "--out", "/proc/a.gif"), 1,
         "Error: --out = '/proc/a.gif' is not writable: cannot write to '/proc' (for 'a.gif'): No such file or directory"),
]


def run_case(case: Case, root: Path) -> Result:
    for name, text in case.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, list(case.args))
    finally:
        os.chdir(cwd)


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error:")]


def _skip_missing_command(case: Case) -> None:
    if case.args[0] in ("animate", "sweep") and case.args[0] not in cli.commands:
        pytest.skip(f"nnviz {case.args[0]} has not landed")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_one_exact_line(case: Case, tmp_path: Path) -> None:
    _skip_missing_command(case)
    result = run_case(case, tmp_path)
    assert result.exit_code == case.code, result.output
    assert error_lines(result) == [case.message], result.output
    assert "Traceback" not in result.output
    # Refused before any work: nothing written, not even an empty outputs/ folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({n.split("/")[0] for n in case.files})


@pytest.mark.parametrize("case", ANIMATE_OUT_CASES, ids=[c.id for c in ANIMATE_OUT_CASES])
def test_unwritable_out_is_refused_before_training(case: Case, tmp_path: Path) -> None:
    _skip_missing_command(case)
    result = run_case(case, tmp_path)
    assert result.exit_code == case.code, result.output
    assert error_lines(result) == [case.message], result.output


if __name__ == "__main__":  # print the table: every kind of bad input and its message
    import tempfile

    for case in [*CASES, *ANIMATE_OUT_CASES]:
        with tempfile.TemporaryDirectory() as d:
            result = run_case(case, Path(d))
        lines = error_lines(result) or ["(no error line)"]
        mark = "" if (result.exit_code, lines) == (case.code, [case.message]) else "   <-- MISMATCH"
        print(f"{case.id:<26} exit {result.exit_code}  {lines[0]}{mark}")
    sys.exit(0)
