"""The new data options as users meet them: --target, --data inferring the file kind, `nnviz datasets`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nnviz import catalog, config
from nnviz.catalog import resolve
from nnviz.cli import cli
from nnviz.errors import ConfigError
from nnviz.plan import default_stem


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # outputs/ and relative --data paths land in the test's folder


def run(tmp_path: Path, *args: str, files: dict[str, str] | None = None):
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    ("path", "name"),
    [("points.csv", "csv"), ("table.dat", "csv"), ("data/mnist.npz", "mnist"),
     ("train-images-idx3-ubyte.gz", "mnist"), ("train-labels-idx1-ubyte", "mnist")],
)
def test_data_path_alone_picks_the_file_kind_by_name(path: str, name: str) -> None:
    assert resolve({}, {"data.path": path}).data.name == name


def test_an_explicit_name_beats_the_file_name() -> None:
    assert resolve({}, {"data.path": "odd.npz", "data.name": "csv"}).data.name == "csv"


def test_run_name_uses_the_file_stem_for_every_file_kind() -> None:
    assert default_stem(resolve({}, {"data.path": "x/mnist.npz"})) == "mnist-tanh-lr0.01"
    assert default_stem(resolve({}, {"data.path": "x/pets.csv"})) == "pets-tanh-lr0.01"
    assert default_stem(resolve({}, {"data.name": "digits"})) == "digits-tanh-lr0.01"


def test_file_kinds_without_a_path_are_config_errors() -> None:
    with pytest.raises(ConfigError) as info:
        resolve({"data": {"name": "mnist"}})
    assert str(info.value) == "data.name = 'mnist' needs a file: set data.path or pass --data PATH"


def test_target_key_flag_and_round_trip(tmp_path: Path) -> None:
    assert config.SCHEMA["data"]["target"].flag == "--target"
    cfg = resolve({"data": {"path": "pets.csv", "target": " label "}})
    assert cfg.data.target == "label" and catalog.resolve().data.target is None
    toml = tmp_path / "c.toml"
    toml.write_text(config.to_toml(cfg), encoding="utf-8")
    assert catalog.load(toml) == cfg
    with pytest.raises(ConfigError, match=r"--target = '  ' is invalid: must be a column name"):
        resolve({}, {"data.target": "  "}, flags=True)
    assert resolve({}, {"data.target": ""}).data.target is None  # an empty flag means the default, as for every key


PETS = "label,weight,height\ncat,4,25\ndog,30,60\ncat,5,23\ndog,25,55\ncat,3,24\ndog,28,58\n"


def test_train_with_target_predicts_the_named_column(tmp_path: Path) -> None:
    result = run(tmp_path, "train", "-q", "--epochs", "2", "--data", "pets.csv", "--target", "label",
                 "--history", "h.csv", files={"pets.csv": PETS})
    assert result.exit_code == 0, result.output
    assert "stopped at epoch 2" in result.output


def test_train_with_a_missing_target_is_one_error_line(tmp_path: Path) -> None:
    result = run(tmp_path, "train", "-q", "--epochs", "2", "--data", "pets.csv", "--target", "kind",
                 files={"pets.csv": PETS})
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: data file pets.csv has no column 'kind' (data.target); columns: label, weight, height"
    ]


def test_target_on_a_generated_dataset_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "train", "-q", "--epochs", "2", "--target", "y")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: data.target picks a CSV column; the blobs dataset has no columns to pick"


def test_digits_trains_with_64_inputs_and_10_outputs(tmp_path: Path) -> None:
    from nnviz.engine import train

    cfg = resolve({"data": {"name": "digits", "n_samples": 60}, "train": {"epochs": 2}})
    data = train.load_data(cfg)
    assert train.build_model(cfg, data).sizes == (64, 32, 2, 10)  # the dataset's bottleneck default
    result = run(tmp_path, "train", "-q", "--epochs", "2", "--dataset", "digits", "--n-samples", "60",
                 "--history", "h.csv")
    assert result.exit_code == 0, result.output


def test_datasets_lists_the_new_rows(tmp_path: Path) -> None:
    result = run(tmp_path, "datasets")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split()[1:4] for line in result.output.splitlines()[1:]}
    assert rows["digits"] == ["multiclass", "1797", "-"]
    assert rows["mnist"] == ["multiclass", "-", "-"]
    assert rows["csv"] == ["auto", "-", "-"]
    assert rows["blobs"] == ["binary", "400", "0.5"]
