"""Recording a PyTorch training loop: parity with nnviz's own run, every supported layer, every refusal.

Skipped without torch (the torch extra; `make test` installs it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import cli_run

torch = pytest.importorskip("torch")
import imageio.v3 as iio  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import nnviz  # noqa: E402
from nnviz import catalog, config, render  # noqa: E402
from nnviz.engine import nn as engine  # noqa: E402
from nnviz.engine import train  # noqa: E402
from nnviz.recorders import RecordError  # noqa: E402

SMALL_RENDER = {"grid": 60, "size": "600x200"}


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and exc.value.__cause__ is None
    return text


def blobs(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    return X, (np.abs(X[:, 0]) < 0.7).astype(np.float64)


# --- parity: nnviz's own run, trained by PyTorch -------------------------------------


def torch_run(cfg: config.Config, data, snapshot) -> None:
    """nnviz's config trained by PyTorch: nnviz's initial weights and batch order, Adam with nnviz's eps."""
    model = train.build_model(cfg, data)
    rng = np.random.default_rng(cfg.train.seed)
    init = engine.init_params(model, rng, cfg.model.init, cfg.model.init_std)
    orders = [rng.permutation(len(data.y)) for _ in range(cfg.train.epochs)]
    layers: list[nn.Module] = []
    for W, b in zip(init[::2], init[1::2]):
        lin = nn.Linear(*W.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, nn.Tanh()]
    net = nn.Sequential(*layers[:-1])
    X, y = torch.from_numpy(np.array(data.X)), torch.from_numpy(np.array(data.y))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.train.lr, eps=1e-7)  # nnviz's Adam uses Keras' eps
    loss_fn = nn.BCEWithLogitsLoss()
    rec = nnviz.record(net, data.X, data.y)
    rec.snapshot()
    for order in orders:
        idx = torch.from_numpy(order)
        for start in range(0, len(order), cfg.train.batch_size):
            batch = idx[start : start + cfg.train.batch_size]
            opt.zero_grad()
            loss_fn(net(X[batch])[:, 0], y[batch]).backward()
            opt.step()
        rec.snapshot()
    snapshot(rec)


def test_a_2_2_1_tanh_net_trained_by_pytorch_adam_matches_nnvizs_own_run(tmp_path: Path) -> None:
    # The default run (blobs, 2-2-1 tanh, Adam lr 0.01, batch 32) for as many epochs as nnviz's own takes to its
    # stop loss: parameters agree to 1e-12 (PyTorch's Adam rounds its update in another order, so not bit for bit).
    cfg = catalog.resolve({}, {f"render.{k}": v for k, v in SMALL_RENDER.items()})
    data = train.load_data(cfg)
    own = train.train(cfg, data)
    cfg = catalog.with_values(cfg, {"train.epochs": own.last.epoch, "train.stop_loss": 0})
    recs = []
    torch_run(cfg, data, recs.append)
    history = recs[0].history
    assert len(history) == len(own) == 75
    worst = max(np.abs(a - b).max() for e, o in zip(history.epochs, own.epochs) for a, b in zip(e.params, o.params))
    assert worst <= 1e-12, worst
    assert abs(history.last.loss - own.last.loss) <= 1e-12 and history.last.loss <= 0.263
    # And the frames: the same to within the few pixels where a boundary's antialiasing meets a last-bit difference.
    mine = recs[0].animate(tmp_path / "torch.gif", **SMALL_RENDER)
    theirs = render.animate(cfg, tmp_path / "own.gif")
    a, b = iio.imread(mine.path, index=None), iio.imread(theirs.path, index=None)
    assert a.shape == b.shape == (75, 200, 600, 3)
    assert (a != b).any(axis=-1).mean() < 1e-4


def test_recorded_pytorch_runs_are_byte_identical_when_rerun_and_re_render(tmp_path: Path) -> None:
    X, y = blobs()

    def run() -> dict[str, bytes]:
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.2), nn.Linear(3, 1))
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
        rec = nnviz.record(net, X, y)
        rec.snapshot()
        for _ in range(5):
            net.train()
            for idx in torch.randperm(len(Xt)).split(16):
                opt.zero_grad()
                F.binary_cross_entropy_with_logits(net(Xt[idx])[:, 0], yt[idx]).backward()
                opt.step()
            rec.snapshot()
        rec.animate(tmp_path / "run.gif", **SMALL_RENDER)
        return {p.name: p.read_bytes() for p in sorted(tmp_path.iterdir()) if p.name.startswith("run.")}

    first, second = run(), run()
    assert first == second and len(first) == 6  # the animation, poster, history, events, config, arrays
    code, output = cli_run("animate", "--history", str(tmp_path / "run.csv"), "--out", str(tmp_path / "re.gif"), "-q")
    assert code == 0, output
    assert (tmp_path / "re.gif").read_bytes() == first["run.gif"]


# --- what is read, and nnviz's forward pass agrees with PyTorch's ---------------------------


class Chain(nn.Module):
    """A plain module whose forward is a chain, written with functions as tutorials do."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 4)
        self.fc2 = nn.Linear(4, 4)
        self.out = nn.Linear(4, 3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = torch.tanh(self.fc1(x))
        x = self.drop(F.tanh(self.fc2(x)))
        return F.softmax(self.out(x), dim=1)


@pytest.mark.parametrize(
    ("make", "activation", "task"),
    [
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), "tanh", "binary"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid()), "relu", "binary"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)), "sigmoid", "regression"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2), nn.Linear(3, 3)), "leaky_relu", "multiclass"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1)), "gelu_erf", "binary"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.GELU(approximate="tanh"), nn.Linear(3, 1)), "gelu", "binary"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.SiLU(), nn.Linear(3, 1)), "silu", "regression"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Softplus(), nn.Linear(3, 1)), "softplus", "binary"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 1)), "linear", "binary"),
        (lambda: nn.Sequential(nn.Linear(2, 3, bias=False), nn.Tanh(), nn.Linear(3, 1)), "tanh", "binary"),
        (
            lambda: nn.Sequential(nn.Sequential(nn.Linear(2, 4), nn.Tanh()), nn.Dropout(), nn.Linear(4, 2), nn.Tanh(),
                                  nn.Linear(2, 3), nn.LogSoftmax(dim=1)),
            "tanh",
            "multiclass",
        ),
        (Chain, "tanh", "multiclass"),
    ],
)
def test_every_supported_model_is_read_and_nnviz_computes_what_pytorch_does(make, activation: str, task: str) -> None:
    torch.manual_seed(1)
    net = make().double().eval()
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 2)) * 3
    y = {"binary": rng.integers(0, 2, 200), "multiclass": rng.integers(0, 3, 200), "regression": rng.normal(size=200)}[task]
    rec = nnviz.record(net, X, y)
    rec.snapshot()
    model = rec.network
    assert (model.activation, model.task) == (activation, task)
    if activation == "leaky_relu":
        assert model.leaky_slope == 0.2
    with torch.no_grad():
        theirs = net(torch.from_numpy(X)).numpy()
    ours = engine.forward(model, rec.history.last.params, X).a[-1]  # with nnviz's head: probabilities or values
    if rec.read_network().head == "logits":
        theirs = model.out.head(theirs)
    elif isinstance(list(net.modules())[-1], nn.LogSoftmax):
        theirs = np.exp(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


# --- refusals: one line naming the layer --------------------------------------------------


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.out = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 1)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        return self.out(h + torch.tanh(self.fc2(h)))


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.out = nn.Linear(2, 2), nn.Linear(2, 1)

    def forward(self, x):
        h = self.fc1(x)
        return self.out(torch.tanh(h)) if h.sum() > 0 else self.out(h)


SUPPORTED = (
    "Linear, Tanh, ReLU, Sigmoid, LeakyReLU, GELU, SiLU, Softplus, Identity, Dropout (and a final Sigmoid or "
    "Softmax), in one chain"
)


@pytest.mark.parametrize(
    ("make", "y", "message"),
    [
        (
            lambda: nn.Sequential(nn.Conv1d(1, 2, 1), nn.Flatten(), nn.Linear(4, 1)),
            None,
            f"PyTorch layer '0' (Conv1d) is not supported; nnviz supports {SUPPORTED}",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Tanh(), nn.Linear(3, 1)),
            None,
            f"PyTorch layer '1' (BatchNorm1d) is not supported; nnviz supports {SUPPORTED}",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 3), Swish(), nn.Linear(3, 1)),
            None,
            "PyTorch layer custom module '1' (Swish) is not one chain: the result of '0' (Linear) feeds 2 calls "
            f"(a residual or branch); nnviz supports {SUPPORTED}",
        ),
        (
            lambda: nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1)),
            None,
            "PyTorch layer '0' (Linear) takes 3 inputs, but X has 2 columns; record the model with the arrays it was "
            "trained on",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 3)),
            None,
            "PyTorch output layer '2' (Linear) has 3 outputs, but y holds a binary task (2 classes: 0, 1): nnviz needs "
            "1 output: a logit (binary cross-entropy with logits) or a unit with a sigmoid; for 2 logits with "
            "cross-entropy pass task='multiclass'",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1), nn.Sigmoid()),
            "regression",
            "PyTorch output layer '2' (Linear) has 1 output and a sigmoid ('3' (Sigmoid)), but y holds numbers to "
            "predict (a regression task): nnviz needs 1 output with no activation (squared error)",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)),
            None,
            "PyTorch hidden layers use different activations ('1' (Tanh), '3' (ReLU)); nnviz draws one activation for "
            "every hidden layer",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 2), nn.ELU(), nn.Linear(2, 1)),
            None,
            f"PyTorch layer '1' (ELU) is not supported; nnviz supports {SUPPORTED}",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 2), nn.Softplus(beta=2), nn.Linear(2, 1)),
            None,
            f"PyTorch layer '1' (Softplus) beta=2; nnviz's softplus is log(1 + e^z), beta 1; nnviz supports {SUPPORTED}",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1), nn.Tanh()),
            None,
            "PyTorch output layer '2' (Linear) is followed by '3' (Tanh); nnviz's output is the last Linear's logits, "
            "optionally through a final Sigmoid (binary) or Softmax (multiclass)",
        ),
        (
            lambda: Residual(),
            None,
            "PyTorch layer 'fc2' (Linear) is not one chain: the result of tanh() in Residual.forward "
            f"feeds 2 calls (a residual or branch); nnviz supports {SUPPORTED}",
        ),
        (
            lambda: nn.Sequential(nn.Linear(2, 1)),
            None,
            "PyTorch model has a single dense layer ('0' (Linear)): nnviz draws hidden layers, so it needs at least "
            "one hidden layer (dense, activation, dense)",
        ),
    ],
)
def test_unsupported_models_are_refused_in_one_line_naming_the_layer(make, y, message: str) -> None:
    X, labels = blobs()
    target = X[:, 0] * 1.5 if y == "regression" else labels
    with pytest.raises(RecordError) as exc:
        nnviz.record(make(), X, target).snapshot()
    assert one_line(exc) == message


def test_a_forward_fx_cannot_trace_is_refused_in_one_line() -> None:
    X, y = blobs()
    with pytest.raises(RecordError) as exc:
        nnviz.record(Branchy(), X, y)
    assert one_line(exc).startswith("PyTorch model Branchy: torch.fx cannot read its forward as a chain of layers (")
    assert one_line(exc).endswith(f"write it as nn.Sequential of {SUPPORTED}")


def test_a_model_changed_mid_run_is_refused() -> None:
    X, y = blobs()
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    rec = nnviz.record(net, X, y)
    rec.snapshot()
    net[0] = nn.Linear(2, 2)  # a new layer object: the recorder keeps reading the one it was given
    rec.snapshot()
    with torch.no_grad():
        net[2].weight.fill_(float("nan"))
    with pytest.raises(RecordError, match=r"^a parameter is not finite at epoch 2: training diverged; 2 snapshots are kept"):
        rec.snapshot()
