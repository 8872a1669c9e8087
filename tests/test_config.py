"""Config validation: one place, one-line messages naming key, value and what is allowed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from nnviz import catalog, config
from nnviz.catalog import resolve
from nnviz.errors import ConfigError
from nnviz.plan import default_stem


def test_defaults_are_the_reference_run() -> None:
    cfg = resolve()
    assert (cfg.data.name, cfg.model.hidden, cfg.model.activation) == ("blobs", (2,), "tanh")
    assert (cfg.train.optimizer, cfg.train.lr, cfg.train.batch_size) == ("adam", 0.01, 32)
    # The blog's stop loss is the blobs' own default, not every dataset's.
    assert (cfg.train.epochs, cfg.train.stop_loss) == (200, 0.263)
    assert cfg.render.layer == 1  # 0 (auto) resolved: the only hidden layer
    assert default_stem(cfg) == "blobs-tanh-lr0.01"


@pytest.mark.parametrize("name", ["blobs3", "xor", "sine", "circles", "moons", "spiral", "gaussians", "digits"])
def test_each_dataset_brings_its_own_defaults(name: str) -> None:
    from nnviz.engine.data import DATASETS

    cfg = resolve({}, {"data.name": name})
    assert cfg.train.stop_loss != 0.263  # the blobs' threshold stays with the blobs
    for dotted, value in DATASETS[name].defaults.items():
        section, key = dotted.split(".")
        assert getattr(getattr(cfg, section), key) == value


def test_what_the_user_sets_beats_the_dataset_defaults() -> None:
    cfg = resolve({"train": {"epochs": 7}}, {"data.name": "spiral", "model.hidden": "8"}, flags=True)
    assert cfg.train.epochs == 7 and cfg.model.hidden == (8,)
    assert cfg.train.stop_loss == 0.05  # the rest still comes from the dataset
    assert cfg.render.layer == 1  # auto follows the user's network, not the dataset's


def test_auto_layer_is_the_last_two_wide_layer() -> None:
    assert resolve({}, {"model.hidden": "16,16,2"}).render.layer == 3
    assert resolve({}, {"model.hidden": "2,8"}).render.layer == 1
    assert resolve({}, {"model.hidden": "8,4"}).render.layer == 1
    assert resolve({}, {"model.hidden": "8,4", "render.layer": 2}).render.layer == 2


def test_file_values_and_overrides_combine() -> None:
    raw = {"model": {"hidden": [4, 2], "activation": "relu"}, "train": {"lr": 1, "batch_size": "full"}}
    cfg = resolve(raw, {"train.lr": "0.5", "render.size": "640x480", "render.panels": "input,loss"})
    assert cfg.model.hidden == (4, 2)
    assert cfg.train.lr == 0.5 and cfg.train.batch_size == "full"
    assert cfg.render.size == (640, 480)
    assert cfg.render.panels == ("input", "loss")


def test_negative_zero_is_zero() -> None:
    import math

    cfg = resolve({}, {"data.noise": "-0", "train.weight_decay": -0.0})
    assert math.copysign(1, cfg.data.noise) == 1 and math.copysign(1, cfg.train.weight_decay) == 1


def test_data_path_alone_selects_the_csv_dataset() -> None:
    assert resolve({}, {"data.path": "points.csv"}).data.name == "csv"


def test_toml_round_trip(tmp_path: Path) -> None:
    cfg = resolve({"data": {"name": "csv", "path": 'we"ird\\name.csv'}, "model": {"hidden": [3]}, "train": {"lr": 1e-5}})
    text = config.to_toml(cfg)
    assert resolve(tomllib.loads(text)) == cfg
    path = tmp_path / "c.toml"
    path.write_text(text)
    assert catalog.load(path) == cfg
    assert config.config_hash(cfg) == config.config_hash(catalog.load(path))
    assert config.config_hash(cfg) != config.config_hash(catalog.with_values(cfg, {"train.lr": 2e-5}))


@pytest.mark.parametrize("target", ["a\x7fb", "tab\tand\nnewline", "nul\x00", "\x1b[31mred", 'q"uote\\', "π ✓ 猫"])
def test_saved_toml_reads_back_whatever_the_column_name_holds(tmp_path: Path, target: str) -> None:
    # A control character (DEL, ESC, NUL) is not allowed raw in a TOML string: the writer must escape it,
    # or nnviz writes a .toml it cannot read back (json.dumps left \x7f raw).
    cfg = resolve({}, {"data.path": "pets.csv", "data.target": target})
    (tmp_path / "run.toml").write_text(config.to_toml(cfg), encoding="utf-8")
    assert catalog.load(tmp_path / "run.toml") == cfg


@pytest.mark.parametrize(
    ("raw", "overrides", "message"),
    [
        ({"model": {"activation": "swish"}}, {}, "model.activation = 'swish' is invalid: unknown name; valid: linear, sigmoid, tanh, relu, leaky_relu"),
        ({}, {"train.optimizer": "adamw"}, "--optimizer = 'adamw' is invalid: unknown name; valid: sgd, momentum, adam, rmsprop"),
        ({"data": {"name": "imagenet"}}, {}, "data.name = 'imagenet' is invalid: unknown name; valid: blobs"),
        ({"train": {"lr": -0.1}}, {}, "train.lr = -0.1 is invalid: must be a number > 0"),
        ({"train": {"lr": "fast"}}, {}, "train.lr = 'fast' is invalid: must be a number > 0"),
        ({"train": {"epochs": 0}}, {}, "train.epochs = 0 is invalid: must be a whole number from 1 to 100000"),
        ({"train": {"epochs": 2.5}}, {}, "train.epochs = 2.5 is invalid: must be a whole number"),
        ({"train": {"epochs": True}}, {}, "train.epochs = true is invalid: must be a whole number"),
        ({"train": {"batch_size": "half"}}, {}, "train.batch_size = 'half' is invalid: must be a whole number >= 1 or 'full'"),
        ({"model": {"hidden": []}}, {}, "model.hidden = [] is invalid: must be a list of 1 to 16 widths"),
        ({"model": {"hidden": [2, 0]}}, {}, "model.hidden = [2, 0] is invalid"),
        ({}, {"model.hidden": "4,x"}, "--hidden = '4,x' is invalid: must be a list of 1 to 16 widths"),
        ({"render": {"grid": 5000}}, {}, "render.grid = 5000 is invalid: must be a whole number from 2 to 1000"),
        ({"render": {"fps": 0}}, {}, "render.fps = 0 is invalid: must be a number >= 0.01 and <= 100"),
        ({}, {"render.size": "big"}, "--size = 'big' is invalid: must be WIDTHxHEIGHT"),
        ({}, {"render.panels": "input,weights"}, "--panels = 'input,weights' is invalid: must be a comma-separated list of distinct panels from: input, hidden, activation, loss"),
        ({"render": {"format": "avi"}}, {}, "render.format = 'avi' is invalid: unknown name; valid: gif, mp4, webp, html, png"),
        ({"train": {"stop_loss": float("nan")}}, {}, "train.stop_loss = nan is invalid: must be a number >= 0"),
        ({"train": {"learning_rate": 0.1}}, {}, "unknown key train.learning_rate; valid keys in [train]: optimizer, lr"),
        ({"optim": {}}, {}, "unknown table [optim]; valid: [data], [model], [train], [render]"),
        ({"train": 3}, {}, "train must be a table like [train], not 3"),
        ({"data": {"name": "csv"}}, {}, "data.name = 'csv' needs a file: set data.path or pass --data PATH"),
        ({"render": {"every": 2, "log_frames": 5}}, {}, "cannot be combined"),
        ({"render": {"layer": 2}}, {}, "render.layer = 2 is invalid: the network has hidden layers 1..1"),
        ({"data": {"test_fraction": 1.5}}, {}, "data.test_fraction = 1.5 is invalid: must be a number >= 0 and <= 0.9"),
    ],
)
def test_bad_values_are_one_line_errors(raw: dict, overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(raw, overrides, flags=True)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_unknown_override_key_lists_valid_keys() -> None:
    with pytest.raises(ConfigError, match="unknown key 'train.momentum'; valid: data.name"):
        resolve({}, {"train.momentum": 0.9})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[train\nlr = 1", "is not valid TOML"),
        ("[train]\nlr = 0.1\n[sweep]\n'train.lr' = [1]", "has a [sweep] table: run it with 'nnviz sweep"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        catalog.load(path)


def test_missing_and_directory_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        catalog.load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        catalog.load(tmp_path)
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="not UTF-8|not valid TOML"):
        catalog.load(binary)


def test_shipped_configs_are_valid() -> None:
    shipped = sorted((Path(__file__).parents[1] / "configs").glob("*.toml"))
    assert shipped, "configs/ should ship example experiments"
    for path in shipped:
        raw = config.read_toml(path)
        raw.pop("sweep", None)
        catalog.resolve(raw, source=str(path))
