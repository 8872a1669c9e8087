"""``--help`` in sections with examples, whole summaries, no flag that does not apply, and shell
completion for bash, zsh and fish (nnviz/cli/help.py, nnviz/cli/options.py)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nnviz import config
from nnviz.cli import GROUP_EXAMPLES, cli, help
from nnviz.cli.options import config_options

COMMANDS = sorted(cli.commands)
NNVIZ = Path(sys.executable).with_name("nnviz")


def help_text(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def sections(text: str) -> dict[str, str]:
    """``{"Data": "...", ...}``: each "<Name> options:" block of a help text."""
    found = re.findall(r"^(\w+) options:\n(.*?)(?=^\S|\Z)", text, flags=re.M | re.S)
    return dict(found)


@pytest.mark.parametrize("command", COMMANDS)
def test_options_are_listed_by_section_in_order_each_once(command: str) -> None:
    text = help_text(command)
    blocks = sections(text)
    order = [name for name in (*help.SECTIONS, help.OTHER) if name in blocks]
    assert list(blocks) == order, list(blocks)
    flags = [o for p in cli.commands[command].params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")]
    for flag in flags:
        holders = [name for name, body in blocks.items() if re.search(rf"(^|\s|, ){re.escape(flag)}\b", body)]
        assert len(holders) == 1, (flag, holders)


def test_schema_flags_sit_in_their_tables_sections() -> None:
    blocks = sections(help_text("animate"))
    assert "--dataset" in blocks["Data"] and "--hidden" in blocks["Model"] and "--lr" in blocks["Training"]
    assert "--grid" in blocks["Rendering"] and "--format" in blocks["Output"] and "--out" in blocks["Output"]
    assert "--config" in blocks["Input"] and "--history" in blocks["Input"]


def test_a_new_config_key_is_still_a_one_line_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key added to the schema becomes a flag, in its table's section, with its help and default."""
    key = config.Key(7, config.int_range(0, 9), "--wobble", "how much the frame wobbles")
    monkeypatch.setitem(config.SCHEMA["render"], "wobble", key)

    @click.command("probe", cls=help.Command)
    @config_options(sections=("render",))
    def probe(**kwargs: object) -> None:
        click.echo(repr(kwargs.get("render__wobble")))

    text = CliRunner().invoke(probe, ["--help"], terminal_width=80).output
    assert "--wobble INTEGER" in sections(text)["Rendering"] and "[render.wobble, default: 7]" in " ".join(text.split())
    assert CliRunner().invoke(probe, ["--wobble", "3"]).output.strip() == "3"


def test_the_top_level_help_shows_every_summary_whole() -> None:
    """click cut the summaries at the terminal's width ("Morph the input plane through every...")."""
    text = help_text()
    assert "..." not in text.split("Commands:")[1]
    for name in COMMANDS:
        summary = help.summary(cli.commands[name])
        line = next(line for line in text.splitlines() if line.strip().startswith(name + " "))
        assert line.split(None, 1)[1] == summary, (line, summary)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_ends_with_examples_that_run_as_written(command: str | None, tmp_path: Path) -> None:
    """Each example names real commands and flags with valid values: it parses (without running)."""
    examples = GROUP_EXAMPLES if command is None else cli.commands[command].examples
    text = help_text(*([command] if command else []))
    assert text.rstrip().endswith(examples[-1][1]) and 1 <= len(examples) <= 3
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for comment, line in examples:
            assert f"# {comment}\n  {line}\n" in text
            if not line.startswith("nnviz "):
                continue  # a shell line (completion)
            args = shlex.split(line)[1:]
            for value in args:  # the saved run a --history example reads
                if value.endswith(".csv"):
                    Path(value).parent.mkdir(parents=True, exist_ok=True)
                    Path(value).write_text("")
            sub = cli.commands[args[0]]
            with sub.make_context(args[0], args[1:]) as ctx:
                assert ctx.params is not None
    finally:
        os.chdir(cwd)


NOT_IN_MORPH = ("--panels", "--layer", "--every", "--log-frames", "--engine")


def test_morph_offers_no_flag_that_does_not_apply() -> None:
    """morph --help listed --panels, --layer, --every, --log-frames and --engine, then said they did not apply."""
    text = help_text("morph")
    assert [flag for flag in NOT_IN_MORPH if flag in text] == [] and "do not apply" not in text
    result = CliRunner().invoke(cli, ["morph", "--panels", "layers"])
    assert result.exit_code == 2 and result.output.startswith("Error: No such option '--panels'.")
    for flag in ("--steps", "--size", "--axes", "--grid", "--lr", "--epochs"):
        assert flag in text, flag


def test_gradcheck_offers_only_the_training_flag_it_uses() -> None:
    """It checks the seeded initial weights: the optimizer, rate, epochs and batch size do nothing."""
    blocks = sections(help_text("gradcheck"))
    assert re.findall(r"--[\w-]+", blocks["Training"]) == ["--seed"]
    assert "--hidden" in blocks["Model"] and "--samples" in blocks["Data"]


@pytest.mark.parametrize(("shell", "start"), [
    ("bash", "_nnviz_completion() {"),
    ("zsh", "#compdef nnviz"),
    ("fish", "function _nnviz_completion;"),
])
def test_the_command_writes_its_completion_script(shell: str, start: str) -> None:
    """The install page's completion lines: click's own mechanism, through the installed command."""
    env = {**os.environ, "_NNVIZ_COMPLETE": f"{shell}_source"}
    out = subprocess.run([str(NNVIZ)], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stderr == "" and out.stdout.startswith(start), out.stdout[:200]
    assert "_NNVIZ_COMPLETE" in out.stdout


def test_completion_answers_with_commands_and_flags() -> None:
    def complete(words: str) -> list[str]:
        env = {**os.environ, "_NNVIZ_COMPLETE": "bash_complete", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
        return subprocess.run([str(NNVIZ)], capture_output=True, text=True, env=env, check=True).stdout.split()

    assert complete("nnviz ani") == ["plain,animate"]
    assert "plain,--log-frames" in complete("nnviz animate --log") and complete("nnviz morph --log") == []
    readme = (Path(__file__).resolve().parents[1] / "docs" / "install.md").read_text(encoding="utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_NNVIZ_COMPLETE={shell}_source nnviz" in readme, shell
