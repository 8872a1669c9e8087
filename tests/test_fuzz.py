"""Fuzzing: random configs, flags and CSV files never produce a traceback.

Beyond configs, flags and CSVs: output paths that land on inputs (links,
spellings, names near NAME_MAX), hostile sweep files, unusual environments
(odd matplotlib backends, no HOME, closed or failing standard streams) and
concurrent runs.

Every outcome must be a success or exactly one clean ``Error: ...`` line
with exit code 1 (bad input) or 2 (usage error). An ``internal error`` line
is a failure here: it means an unexpected exception reached the CLI's last
line of defence. Runs are in-process through click's CliRunner and kept
tiny (a couple of epochs, a few dozen samples, small grids).

``NNVIZ_FUZZ_EXAMPLES=5000`` runs a deeper search than the default.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nnviz import config
from nnviz.cli import cli
from nnviz.engine import data as datasets
from nnviz.engine import nn, optimizers
from nnviz.render import engines, panels, writers

EXAMPLES = int(os.environ.get("NNVIZ_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
COMMANDS = sorted(cli.commands)


def assert_clean(result: Result, what: str) -> None:
    """Success, or one ``Error:`` line with exit 1/2; never a traceback or internal error."""
    out = result.output
    context = f"{what}\n--- output ---\n{out}"
    event(f"exit {result.exit_code}")  # pytest --hypothesis-show-statistics shows the mix
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{context}"
    )
    assert "Traceback" not in out, context
    assert "internal error" not in out, context
    assert "Warning: " not in out.replace("Warning: diverged", ""), context  # no NumPy/pandas warnings
    if result.exit_code == 0:
        return
    assert result.exit_code in (1, 2), context
    errors = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, context
    assert errors[0].strip() != "Error:", context


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, catch_exceptions=True)


# --- values and configs ---------------------------------------------------------

FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1.5, 0.5, 0.9, 1.0, 2.0, 1e6, 1e6 + 1, 10.0, 100.5]),
)
INTS = st.one_of(
    st.integers(-5, 40),
    st.sampled_from([0, 1, 2, 3, 1000, 1001, 4096, 4097, 100_000, 100_001, 2**32, 2**63 - 1, -(2**63)]),
)
# Every name a registry knows (so a new activation, dataset, panel, format or
# engine is fuzzed the day it lands), then combinations and hostile strings.
REGISTRY_NAMES = sorted({
    *datasets.DATASETS, *nn.ACTIVATIONS, *nn.LOSSES, *nn.INITIALIZERS, *nn.TASKS, *optimizers.OPTIMIZERS,
    *writers.WRITERS, *engines.ENGINES, *panels.PANELS,
})
NAMES = st.sampled_from([
    *REGISTRY_NAMES,
    "input,loss", "layers,loss", "input,neurons", "layers,neurons,loss", "full", "auto", "fixed", "per-frame",
    "float32", "float64", "200x200", "64x64", "4097x10", "2,2", "4,2", "3,2,2", "0", "-1", "nan", "inf", "1e3",
    "", " ", "x" * 300, "../../etc/passwd", "/dev/null", "/proc/x", "ünïcode", "a\nb", "\x00",
])
SCALARS = st.one_of(INTS, FLOATS, st.booleans(), NAMES, st.text(max_size=12))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["a", "lr", "x"]), inner, max_size=2)),
    max_leaves=6,
)
BOGUS_KEYS = ["foo", "Lr", "lr ", "epoch", "hidden_layers", "sweep", "name.x", ""]
SECTIONS = [*config.SCHEMA, "sweep", "Train", "extra"]


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for section in draw(st.lists(st.sampled_from(SECTIONS), max_size=4, unique=True)):
        keys = list(config.SCHEMA.get(section, {})) + BOGUS_KEYS
        chosen = draw(st.lists(st.sampled_from(keys), max_size=5, unique=True))
        if draw(st.integers(0, 19)) == 0:  # now and then a table that is not a table
            raw[section] = draw(SCALARS)
        else:
            raw[section] = {k: draw(VALUES) for k in chosen}
    return raw


# Plausible values per key: a config of these mostly succeeds, so the fuzz also
# walks the paths past validation (training, divergence, odd combinations).
PLAUSIBLE: dict[str, dict[str, Any]] = {
    "data": {"name": st.sampled_from(["blobs", "blobs3", "xor", "sine", "circles", "moons", "spiral", "gaussians"]),
             "noise": st.sampled_from([0.0, 0.1, 1.0, 10.0]), "test_fraction": st.sampled_from([0.0, 0.3, 0.9]),
             "seed": st.integers(0, 2**32 - 1)},
    "model": {"hidden": st.lists(st.integers(1, 8), min_size=1, max_size=3),
              "activation": st.sampled_from(["linear", "sigmoid", "tanh", "relu", "leaky_relu"]),
              "init": st.sampled_from(["glorot_uniform", "he_normal", "normal", "truncated_normal", "uniform"]),
              "init_std": st.sampled_from([0.01, 1.0, 100.0]), "loss": st.sampled_from(["auto", "mse", "sse", "bce"])},
    "train": {"optimizer": st.sampled_from(["sgd", "momentum", "adam", "rmsprop"]),
              "lr": st.sampled_from([1e-6, 0.01, 1.0, 1000.0, 1e6]), "batch_size": st.sampled_from([1, 7, "full"]),
              "stop_loss": st.sampled_from([0.0, 0.5, 100.0]), "seed": st.integers(0, 2**32 - 1),
              "weight_decay": st.sampled_from([0.0, 0.1, 10.0])},
    "render": {"grid": st.integers(2, 12), "format": st.sampled_from(["gif", "png", "mp4"]),
               "fps": st.sampled_from([0.5, 10.0, 100.0]), "size": st.sampled_from(["64x64", [128, 64]]),
               "engine": st.sampled_from(["stream", "celluloid"]),
               "panels": st.sampled_from(["input", "input,loss", ["hidden", "activation"], "input,hidden,activation,loss"]),
               "every": st.integers(1, 3), "log_frames": st.sampled_from([0, 2, 50]), "hold": st.sampled_from([0.0, 0.5]),
               "layer": st.integers(1, 3), "axes": st.sampled_from(["fixed", "per-frame"])},
}


@st.composite
def plausible_tables(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly valid values, with now and then one key mutated to anything at all."""
    raw: dict[str, Any] = {}
    for section, keys in PLAUSIBLE.items():
        chosen = draw(st.lists(st.sampled_from(sorted(keys)), max_size=4, unique=True))
        raw[section] = {k: draw(keys[k]) for k in chosen}
    if draw(st.booleans()):
        section = draw(st.sampled_from(sorted(config.SCHEMA)))
        raw[section][draw(st.sampled_from(sorted(config.SCHEMA[section])))] = draw(VALUES)
    return raw


def toml_value(v: Any) -> str:
    """Hand-formatted TOML (nan/inf included; some outputs are deliberately invalid TOML)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # mostly valid TOML; lone surrogates make invalid TOML, also fine
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(raw: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, table in raw.items():
        if not isinstance(table, dict):
            lines.append(f"{section} = {toml_value(table)}")
            continue
        lines.append(f"[{section}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


# Keep every successful run tiny, whatever the file says: flags override the file
# (the file's own values are still validated first).
TINY = ["--epochs", "2", "--n-samples", "24", "-q"]


def _train_cleanly(raw: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.toml"
        text = to_toml(raw)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = invoke(["train", "--config", str(path), *TINY, "--history", str(Path(d) / "h.csv")])
        assert_clean(result, f"config:\n{text}")


@FUZZ
@given(raw=tables())
def test_random_toml_configs_train_cleanly(raw: dict[str, Any]) -> None:
    _train_cleanly(raw)


@FUZZ
@given(raw=plausible_tables())
def test_plausible_toml_configs_train_cleanly(raw: dict[str, Any]) -> None:
    _train_cleanly(raw)


@FUZZ
@given(raw=plausible_tables())
def test_plausible_toml_configs_animate_cleanly(raw: dict[str, Any]) -> None:
    # Cap the cost of a valid run: few epochs and samples, a small grid and frame.
    raw.setdefault("render", {}).pop("grid", None)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.toml"
        text = to_toml(raw)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = invoke(["animate", "--config", str(path), *TINY, "--grid", "6", "--size", "128x64",
                         "--out", str(Path(d) / "a")])
        assert_clean(result, f"config:\n{text}")


@FUZZ
@given(blob=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_random_bytes_as_config(blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.toml"
        path.write_bytes(blob)
        result = invoke(["train", "--config", str(path), *TINY, "--history", str(Path(d) / "h.csv")])
        assert_clean(result, f"config bytes: {blob!r}")


# --- flags -------------------------------------------------------------------------

FLAG_TEXT = st.one_of(
    NAMES,
    st.text(max_size=10),
    INTS.map(str),
    FLOATS.map(repr),
    st.lists(st.integers(-2, 1100), min_size=0, max_size=18).map(lambda xs: ",".join(map(str, xs))),
    st.tuples(st.integers(-1, 5000), st.integers(-1, 5000)).map(lambda t: f"{t[0]}x{t[1]}"),
)
# Values that stay cheap even when valid: a valid --epochs is at most 5, and so on.
BOUNDED = {
    "--epochs": st.one_of(st.integers(-3, 5).map(str), st.sampled_from(["100001", "1e9", "x", "", "2.0", "-0"])),
    "--n-samples": st.one_of(st.integers(-3, 60).map(str), st.sampled_from(["1000001", "abc", "", "4.0"])),
    "--grid": st.one_of(st.integers(-3, 12).map(str), st.sampled_from(["1001", "1e9", "x", "", "2.5"])),
    "--size": st.one_of(st.sampled_from(["64x64", "80x64", "63x64", "4097x64", "64", "x", "", "64X64", "1e2x64"]),
                        st.text(max_size=8)),
    "--fps": st.one_of(FLOATS.map(repr), st.sampled_from(["0", "101", "x"])),
    "--log-frames": st.one_of(st.integers(-3, 4).map(str), st.sampled_from(["20001", "x"])),
    "--every": st.one_of(st.integers(-3, 4).map(str), st.sampled_from(["100001", "x"])),
    "--hold": st.one_of(st.sampled_from(["0", "0.1", "61", "-1", "nan", "x"])),
    "--steps": st.one_of(st.integers(-3, 3).map(str), st.sampled_from(["100001", "x", "1.5"])),
    "--pause": st.one_of(st.integers(-3, 2).map(str), st.sampled_from(["100001", "x"])),
    "--epoch": st.one_of(st.sampled_from(["last", "0", "0,last", "1,0", "99", "-1", "", "x", "0,,1"]),
                         st.text(max_size=8)),
    "--snapshot-every": st.one_of(st.integers(-2, 3).map(str), st.sampled_from(["20001", "x"])),
}


def _flags_of(command: str) -> list[str]:
    cmd = cli.commands[command]
    return sorted(o for p in cmd.params for o in p.opts if o.startswith("--") and o not in ("--help", "--config"))


@st.composite
def flag_sets(draw: st.DrawFn, command: str) -> list[str]:
    flags = [f for f in _flags_of(command) if f not in ("--history", "--out", "--quiet", "--data", "--workers")]
    args: list[str] = []
    for flag in draw(st.lists(st.sampled_from(flags), max_size=5, unique=True)):
        value = draw(BOUNDED.get(flag, FLAG_TEXT))
        args += [flag, value] if not value.startswith("-") or value[1:2].isdigit() else [f"{flag}={value}"]
    return args


@FUZZ
@given(args=flag_sets("train"))
def test_random_train_flags(args: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        base = ["train", "--epochs", "2", "--n-samples", "24", "-q", "--history", str(Path(d) / "h.csv")]
        result = invoke(base + args)  # later flags win, so fuzzed --epochs/--n-samples apply
        assert_clean(result, f"args: {args}")


@FUZZ
@given(args=flag_sets("animate") if "animate" in cli.commands else st.just([]))
def test_random_animate_flags(args: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        base = ["animate", "--epochs", "2", "--n-samples", "24", "--grid", "8", "--size", "128x64",
                "--out", str(Path(d) / "a.png"), "-q"] if "--quiet" in _flags_of("animate") else \
               ["animate", "--epochs", "2", "--n-samples", "24", "--grid", "8", "--size", "128x64",
                "--out", str(Path(d) / "a.png")]
        result = invoke(base + args)
        assert_clean(result, f"args: {args}")


@FUZZ
@given(args=flag_sets("morph"))
def test_random_morph_flags(args: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        base = ["morph", "--epochs", "2", "--n-samples", "24", "--grid", "8", "--size", "128x128", "--steps", "2",
                "--pause", "0", "--out", str(Path(d) / "m.png"), "-q"]
        assert_clean(invoke(base + args), f"args: {args}")


# --- CSV files ---------------------------------------------------------------------

CELLS = st.one_of(
    st.integers(-3, 3).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-320", "x", '"1"', '"a,b"',
                     "0x10", "1_000", "١", "True", "0", "1", "2", '"', "1;2"]),
)


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    width = draw(st.integers(1, 4))
    header = draw(st.one_of(
        st.just([f"c{i}" for i in range(width)]),
        st.lists(st.sampled_from(["a", "b", "", "t", " a", "a"]), min_size=width, max_size=width),
    ))
    rows = draw(st.lists(st.lists(CELLS, min_size=max(width - 1, 0), max_size=width + 1), max_size=12))
    sep = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return bom + sep.join(",".join(r) for r in [header, *rows]) + draw(st.sampled_from(["", sep]))


@st.composite
def plausible_csv_texts(draw: st.DrawFn) -> str:
    features = draw(st.integers(1, 3))
    n = draw(st.integers(1, 15))
    kind = draw(st.sampled_from(["binary", "multiclass", "regression", "labels"]))
    number = st.floats(-1e6, 1e6, allow_nan=False).map(repr)
    target = {"binary": st.sampled_from(["0", "1"]), "multiclass": st.integers(0, 25).map(str),
              "regression": number, "labels": st.sampled_from(["-1", "1", "7"])}[kind]
    rows = [[draw(number) for _ in range(features)] + [draw(target)] for _ in range(n)]
    if draw(st.booleans()):  # one mutated cell
        r, c = draw(st.integers(0, n - 1)), draw(st.integers(0, features))
        rows[r][c] = draw(CELLS)
    header = [f"x{i}" for i in range(features)] + ["y"]
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


@FUZZ
@given(text=st.one_of(csv_texts(), plausible_csv_texts()), extra=st.lists(st.sampled_from(
    ["--test-fraction=0.5", "--task=binary", "--task=regression", "--task=multiclass", "--batch-size=full",
     "--loss=mse", "--loss=bce", "--hidden=3,2"]), max_size=2, unique=True))
def test_random_csv_files(text: str, extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "data.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = invoke(["train", "--data", str(path), "--epochs", "2", "-q", *extra,
                         "--history", str(Path(d) / "h.csv")])
        assert_clean(result, f"csv:\n{text!r}\nextra: {extra}")


# --- paths: outputs on inputs, links, long names -------------------------------------

GOOD_CSV = "x0,x1,label\n" + "".join(f"{i / 10},{(i * 7 % 10) / 10},{i % 2}\n" for i in range(16))

# How an --out or --history can end up on the data file: same stem, "./" and ".." spellings,
# a symlink or hard link beside it, or a long or odd name (with or without collision).
OUT_SHAPES = st.sampled_from(["stem", "dot", "dotdot", "symlink", "hardlink", "long", "unicode", "other"])


def _out_for(root: Path, shape: str, length: int, suffix: str) -> str:
    data = root / "d.csv"
    (root / "sub").mkdir(exist_ok=True)
    if shape == "stem":
        return f"d{suffix}"
    if shape == "dot":
        return f"./sub/../d{suffix}"
    if shape == "dotdot":
        return f"sub/../../{root.name}/d{suffix}"
    if shape in ("symlink", "hardlink"):
        link = root / "sub" / "l.csv"
        if not link.exists():
            os.symlink(data, link) if shape == "symlink" else os.link(data, link)
        return f"sub/l{suffix}"
    if shape == "long":  # around NAME_MAX: the temp name is longer than the name itself
        return "n" * length + suffix
    if shape == "unicode":
        return "ünï cødé" * (length // 40 + 1) + suffix
    return f"other{suffix}"


@FUZZ
@given(shape=OUT_SHAPES, length=st.integers(200, 300), command=st.sampled_from(["animate", "train"]))
def test_outputs_never_land_on_inputs(shape: str, length: int, command: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "d.csv").write_text(GOOD_CSV)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            if command == "animate":
                out = _out_for(root, shape, length, ".gif")
                args = ["animate", "--data", "d.csv", "--epochs", "1", "--grid", "6", "--size", "128x64",
                        "-q", "--out", out]
            else:
                out = _out_for(root, shape, length, ".csv")
                args = ["train", "--data", "d.csv", "--epochs", "1", "-q", "--history", out]
            result = invoke(args)
        finally:
            os.chdir(cwd)
        assert_clean(result, f"{command} {shape} {length}")
        assert (root / "d.csv").read_text() == GOOD_CSV, f"{command} {shape}: the input changed"
        if shape in ("stem", "dot", "dotdot", "symlink", "hardlink"):
            assert result.exit_code == 1 and "would overwrite the --data file" in result.output, result.output
        assert not [p for p in root.rglob(".*.part*")], "a temp file was left"


# --- hostile sweep files ------------------------------------------------------------------

SWEEP_BASE = '[data]\nn_samples = 24\n[train]\nepochs = 1\nstop_loss = 0\n[render]\ngrid = 4\nsize = "64x64"\nhold = 0\n'
SWEEP_KEYS = st.sampled_from(["train.lr", "model.activation", "render.grid", "train", "1", "", "a.b.c",
                              "train.lr.x", "sweep", "data.path", "render.size"])
HOSTILE_VALUES = st.one_of(
    st.dictionaries(st.sampled_from(["lr", "x", "1"]), VALUES, max_size=3),            # a nested table
    st.integers(10_001, 40_000).map(lambda n: list(range(1, n))),                       # a huge grid
    st.integers(2, 3000).map(lambda n: [0.1] * n),                                      # huge and repeated
    st.lists(st.lists(SCALARS, max_size=3), min_size=1, max_size=3),                    # lists of lists
    st.lists(SCALARS, max_size=3),
    SCALARS,
)


def _sweep_toml(table: dict[str, Any], dotted_bare: bool) -> str:
    lines = ["[sweep]"]
    for key, value in table.items():
        name = key if dotted_bare and key and all(p.isidentifier() for p in key.split(".")) else json.dumps(key)
        lines.append(f"{name} = {toml_value(value)}")
    return SWEEP_BASE + "\n".join(lines) + "\n"


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None, suppress_health_check=list(HealthCheck))
@given(table=st.dictionaries(SWEEP_KEYS, HOSTILE_VALUES, max_size=3), dotted_bare=st.booleans())
def test_hostile_sweep_files_are_refused_cleanly(table: dict[str, Any], dotted_bare: bool) -> None:
    # A valid grid here runs for real (tiny), so keep it to one run or refuse it.
    if all(isinstance(v, list) and len(v) == 1 for v in table.values()) and table:
        table = {k: [*v, {"bad": 1}] for k, v in table.items()}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        text = _sweep_toml(table, dotted_bare)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = invoke(["sweep", str(path), "--out", str(Path(d) / "o"), "--jobs", "1", "-q"])
        assert_clean(result, f"sweep:\n{text[:2000]}")
        assert result.exit_code == 1, text[:2000]
        assert not (Path(d) / "o").exists()


def test_library_sweeps_with_non_string_keys_are_config_errors() -> None:
    from nnviz import sweep
    from nnviz.errors import ConfigError

    for table in ({1: [2]}, {None: [1]}, {("train", "lr"): [0.1]}, {"train": {"lr": [0.1]}}):
        with pytest.raises(ConfigError):
            sweep.parse_sweep({"sweep": table})


# --- unusual environments -----------------------------------------------------------------

def _subprocess(args: list[str], env: dict[str, str], cwd: Path, **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnviz", *args], env=env, cwd=cwd, timeout=120, **kw)


ENVS = {
    "gtk4agg": {"MPLBACKEND": "gtk4agg"},
    "bogus-backend": {"MPLBACKEND": "no-such-backend"},
    "mplconfigdir-unwritable": {"MPLCONFIGDIR": "/proc/nnviz-nope"},
    "lang-c": {"LANG": "C", "LC_ALL": "C"},
    "no-home": {"HOME": None},
}
RUNS = {
    "train": ["train", "--epochs", "2", "--history", "h.csv"],
    "animate": ["animate", "--epochs", "2", "--grid", "6", "--size", "128x64", "--out", "a.gif"],
}


@pytest.mark.parametrize("command", sorted(RUNS))
@pytest.mark.parametrize("env_name", sorted(ENVS))
def test_unusual_environments(tmp_path: Path, env_name: str, command: str) -> None:
    env = {**os.environ}
    env.pop("NNVIZ_DEBUG", None)
    for key, value in ENVS[env_name].items():
        env.pop(key, None) if value is None else env.__setitem__(key, value)
    proc = _subprocess(RUNS[command], env, tmp_path, capture_output=True, text=True)
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode:
        assert len([x for x in proc.stderr.splitlines() if x.startswith("Error:")]) == 1, proc.stderr


@pytest.mark.parametrize("stream", ["stdout-closed", "stderr-closed", "stdout-full", "stdout-broken-pipe"])
@pytest.mark.parametrize("command", sorted(RUNS))
def test_closed_and_failing_standard_streams(tmp_path: Path, stream: str, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NNVIZ_DEBUG"}
    kw: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    if stream == "stdout-closed":
        kw["stdout"] = subprocess.DEVNULL
        kw["preexec_fn"] = lambda: os.close(1)
    elif stream == "stderr-closed":
        kw["preexec_fn"] = lambda: os.close(2)
    elif stream == "stdout-full":
        kw["stdout"] = open("/dev/full", "wb")  # noqa: SIM115  (closed by the child's exit)
    else:
        r, w = os.pipe()
        os.close(r)  # every write to stdout fails with EPIPE
        kw["stdout"] = w
    proc = _subprocess(RUNS[command], env, tmp_path, **kw)
    err = (proc.stderr or b"").decode(errors="replace")
    if stream == "stdout-broken-pipe":  # a reader that went away ends nnviz as it ends `yes`: SIGPIPE, no word
        assert proc.returncode == -signal.SIGPIPE and "Error" not in err, err
    else:
        assert proc.returncode in (0, 1, 2), err
    assert "Traceback" not in err, err


# --- concurrent runs ----------------------------------------------------------------------

@pytest.mark.parametrize("round_", range(3))
def test_concurrent_animates_to_one_out_leave_one_complete_file(tmp_path: Path, round_: int) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NNVIZ_DEBUG"}
    args = [sys.executable, "-m", "nnviz", *RUNS["animate"], "-q", "--seed", str(round_)]
    procs = [subprocess.Popen(args, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0 and "Traceback" not in err, err
    from PIL import Image

    with Image.open(tmp_path / "a.gif") as img:
        img.seek(img.n_frames - 1)  # decodes every frame: the file is whole
    assert not list(tmp_path.glob(".*.part*"))
