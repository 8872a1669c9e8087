"""The engine commands as users run them: exit codes, messages, files written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnviz import __version__
from nnviz.cli import cli
from nnviz.engine import history


def run(*args: str) -> CliRunner.invoke:
    return CliRunner().invoke(cli, list(args))


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_python_dash_m_works() -> None:
    out = subprocess.run([sys.executable, "-m", "nnviz", "--version"], capture_output=True, text=True, check=True)
    assert __version__ in out.stdout


def test_train_writes_a_history_csv(tmp_path: Path) -> None:
    dest = tmp_path / "deep" / "h.csv"
    result = run("train", "--epochs", "3", "--stop-loss", "0", "--hidden", "4,2", "--history", str(dest))
    assert result.exit_code == 0, result.output
    assert "epoch 3/3" in result.output  # progress lines (stderr is mixed in by CliRunner)
    assert f"wrote {dest}" in result.output
    h = history.read_history(dest)
    assert len(h) == 4 and h.model.sizes == (2, 4, 2, 1)


def test_train_reads_a_config_and_flags_override_it(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[data]\nname = "sine"\n[train]\nepochs = 2\nstop_loss = 0\nlr = 0.05\n')
    dest = tmp_path / "h.csv"
    result = run("train", "--config", str(cfg), "--epochs", "4", "-q", "--history", str(dest))
    assert result.exit_code == 0, result.output
    assert "stopped at epoch 4" in result.output
    assert "rmse" in dest.read_text().splitlines()[0]


def test_divergence_warns_and_still_writes(tmp_path: Path) -> None:
    dest = tmp_path / "h.csv"
    result = run("train", "--dataset", "sine", "--activation", "linear", "--optimizer", "sgd",
                 "--lr", "1000", "--stop-loss", "0", "-q", "--history", str(dest))
    assert result.exit_code == 0, result.output
    assert "diverged at epoch" in result.output
    assert dest.exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--activation", "swish"], 1, "Error: --activation = 'swish' is invalid: unknown name; valid: linear, sigmoid, tanh, relu, leaky_relu"),
        (["--optimizer", "adamw"], 1, "Error: --optimizer = 'adamw' is invalid: unknown name; valid: sgd, momentum, adam, rmsprop"),
        (["--dataset", "imagenet"], 1, "Error: --dataset = 'imagenet' is invalid: unknown name; valid: blobs, blobs3, xor, sine"),
        (["--lr", "-1"], 1, "Error: --lr = -1.0 is invalid: must be a number > 0"),
        (["--lr", "fast"], 2, "Error: Invalid value for '--lr': 'fast' is not a valid float."),
        (["--epochs", "0"], 1, "Error: --epochs = 0 is invalid: must be a whole number from 1 to 100000"),
        (["--batch-size", "0"], 1, "Error: --batch-size = '0' is invalid: must be a whole number >= 1 or 'full'"),
        (["--hidden", "2,,3"], 1, "Error: --hidden = '2,,3' is invalid"),
        (["--init", "zeros"], 1, "Error: --init = 'zeros' is invalid: unknown name; valid: glorot_uniform"),
        (["--config", "/nonexistent/x.toml"], 1, "Error: config file '/nonexistent/x.toml' does not exist"),
        (["--data", "/nonexistent/x.csv"], 1, "Error: data file not found: /nonexistent/x.csv"),
        (["--bogus"], 2, "Error: No such option '--bogus'"),
    ],
)
def test_bad_flags_give_one_clean_error_line(args: list[str], code: int, message: str) -> None:
    result = run("train", *args)
    assert result.exit_code == code, result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and message in error_lines[0], result.output
    assert "Traceback" not in result.output


def test_bad_toml_and_unknown_key(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[train\n")
    assert "is not valid TOML" in run("train", "--config", str(broken)).output
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[train]\nlearning_rate = 0.1\n")
    result = run("train", "--config", str(unknown))
    assert result.exit_code == 1
    assert "Error: unknown key train.learning_rate in" in result.output


def test_gradcheck_passes_and_prints_every_array() -> None:
    result = run("gradcheck", "--activation", "relu", "--hidden", "3,2")
    assert result.exit_code == 0, result.output
    for name in ("W1", "b1", "W2", "b2", "W3", "b3"):
        assert f"  {name} " in result.output
    assert "ok: worst" in result.output


def test_gradcheck_exits_1_when_backprop_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from nnviz.engine import nn

    monkeypatch.setitem(nn.ACTIVATIONS, "tanh", nn.Activation("tanh", np.tanh, lambda z, a: np.ones_like(a)))
    result = run("gradcheck")
    assert result.exit_code == 1
    assert "Error: gradient check failed" in result.output


def test_datasets_lists_every_dataset_with_task() -> None:
    result = run("datasets")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["name", "task", "samples", "noise"]
    for name, task in [("blobs", "binary"), ("blobs3", "multiclass"), ("sine", "regression"), ("csv", "auto")]:
        assert any(line.split()[:2] == [name, task] for line in lines), result.output


def test_engine_does_not_import_matplotlib() -> None:
    code = (
        "import sys; import nnviz.engine.nn, nnviz.engine.optimizers, nnviz.engine.data, nnviz.engine.train, nnviz.engine.gradcheck, nnviz.config;"
        "bad = [m for m in ('matplotlib', 'seaborn', 'celluloid', 'PIL', 'imageio') if m in sys.modules];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, f"engine imported {out.stdout.strip()}"


def test_train_never_loads_the_renderer(tmp_path) -> None:
    """`nnviz train` draws nothing: its plan, budget and writing never import matplotlib (start-up time)."""
    code = (
        "import sys; from nnviz.cli import cli;"
        f"cli(['train', '-q', '--epochs', '1', '--history', {str(tmp_path / 'h.csv')!r}], standalone_mode=False);"
        "bad = [m for m in ('matplotlib', 'seaborn', 'celluloid') if m in sys.modules]; print('loaded:', ','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "loaded: ", f"train imported {out.stdout}"
    assert (tmp_path / "h.csv").exists() and (tmp_path / "h.toml").exists()


def test_every_command_loads_from_the_module_the_table_names() -> None:
    """Commands load on demand (nnviz.cli.COMMAND_MODULES): each listed name is that module's command,
    and no module holds a command the table leaves out."""
    import importlib

    from nnviz.cli import COMMAND_MODULES, cli

    for module in set(COMMAND_MODULES.values()):
        names = [c.name for c in importlib.import_module(f"nnviz.cli.{module}").COMMANDS]
        assert sorted(names) == sorted(n for n, m in COMMAND_MODULES.items() if m == module), module
    assert all(cli.commands[name].name == name for name in COMMAND_MODULES)


@pytest.mark.parametrize(("args", "absent"), [
    (["--version"], ("numpy", "matplotlib", "PIL", "pandas")),
    (["datasets"], ("matplotlib", "PIL", "pandas", "distributed")),
])
def test_quick_commands_load_only_what_they_use(args: list[str], absent: tuple[str, ...]) -> None:
    """--version loaded NumPy, PIL and the sweep machinery (0.36 s of CPU here); every command module
    was imported at start."""
    code = f"import sys; from nnviz.cli import main; sys.argv = ['nnviz', *{args!r}]\ntry:\n    main()\nfinally:\n" \
           f"    print([m for m in {absent!r} if m in sys.modules], file=sys.stderr)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr.strip().splitlines()[-1] == "[]", out.stderr


def test_train_names_the_runs_events_at_the_end_as_animate_does(tmp_path) -> None:
    """`nnviz train --activation relu --lr 0.1` ended at 70.2% with a dead unit and said nothing of it."""
    from click.testing import CliRunner

    from nnviz.cli import cli

    out = CliRunner().invoke(cli, ["train", "-q", "--activation", "relu", "--lr", "0.1", "--history", str(tmp_path / "r.csv")])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("stopped at epoch 200")
    assert "event: epochs 4-200: a₂ is dead: relu is 0 on every point; a dead relu unit never learns again" in out.output
    assert all(line.startswith("event: ") for line in lines[1:])
