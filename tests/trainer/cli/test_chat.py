"""`delib chat MODEL`: one user turn per stdin line, the conversation kept, the reasoning shown on request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from trainer.cli import app


def test_chat_answers_each_line_and_keeps_the_conversation(fake_openai_server: Any, fake_openai: Any) -> None:
    first = "<reasoning>Harmless.\nDecision: comply</reasoning>\n<answer>Hello to you.</answer>"
    server = fake_openai_server([fake_openai.chat_reply(first)])
    runner = CliRunner()
    result = runner.invoke(app, ["chat", f"openai:{server.url}#fake-model", "--json"], input="Hi\n\nAnd then?\n")
    assert result.exit_code == 0, result.output
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert [t["user"] for t in turns] == ["Hi", "And then?"]  # a blank line is not a turn
    assert turns[0]["answer"] == "Hello to you." and turns[0]["reasoning"].startswith("Harmless.")
    second = server.chat_requests[-1].body["messages"]  # the whole conversation, answers without reasoning
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"] == "Hello to you."


def test_chat_shows_the_reasoning_only_when_asked() -> None:
    runner = CliRunner()
    hidden = runner.invoke(app, ["chat", "fake"], input="Hello\n")
    shown = runner.invoke(app, ["chat", "fake", "--reasoning-shown", "--system", "Be brief."], input="Hello\n")
    assert hidden.exit_code == shown.exit_code == 0
    assert "A fake answer to: Hello" in hidden.stdout and "Decision:" not in hidden.stdout
    assert "Decision: comply" in shown.stdout and "A fake answer to: Hello" in shown.stdout


def test_chat_with_a_bad_address_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["chat", str(tmp_path / "missing")], input="Hi\n")
    assert result.exit_code == 2 and "invalid model address" in result.output and "Traceback" not in result.output


def test_chat_prints_the_reasoning_as_text_not_markup(fake_openai_server: Any, fake_openai: Any) -> None:
    reasoning = "Cites [#weapons.r1] and [bold]nothing[/bold]; a stray [/dim] too.\nDecision: refuse"
    server = fake_openai_server([fake_openai.chat_reply(f"<reasoning>{reasoning}</reasoning>\n<answer>No.</answer>")])
    result = CliRunner().invoke(app, ["chat", f"openai:{server.url}#fake-model", "--reasoning-shown"], input="Hi\n")
    assert result.exit_code == 0, result.output
    assert reasoning in result.stdout and result.stdout.rstrip().endswith("No.")


def test_chat_sends_library_warnings_to_the_log(tmp_path: Path, monkeypatch: Any) -> None:
    import warnings

    import trainer.backends

    real = trainer.backends.open_backend

    def noisy(address: str) -> Any:
        warnings.warn("`past_key_values` is deprecated", FutureWarning, stacklevel=1)
        return real(address)

    monkeypatch.setenv("DELIB_CACHE", str(tmp_path))
    monkeypatch.setattr(trainer.backends, "open_backend", noisy)
    result = CliRunner().invoke(app, ["chat", "fake"], input="Hello\n")
    assert result.exit_code == 0, result.output
    assert "past_key_values" not in result.output and "library message(s)" in result.output
    assert "past_key_values" in (tmp_path / "logs" / "library.log").read_text()
