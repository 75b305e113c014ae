"""Chat templates: byte-for-byte equal to transformers' apply_chat_template; sandboxed."""

import json
from pathlib import Path

import pytest

from service.templates import TemplateError, render_chat
from service.templates.placement import place

FIXTURES = json.loads(
    (Path(__file__).parents[1] / "generation" / "fixtures" / "templates.json").read_text("utf-8"))


def _id(case):
    name = case["template"] if len(case["template"]) < 20 else "custom"
    return f"{name}-{case['conversation']}-{case.get('placement', 'turns')}-" \
           f"{'sys' if case.get('system') else 'nosys'}-{case['add_generation_prompt']}"


@pytest.mark.parametrize("case", FIXTURES, ids=[_id(c) for c in FIXTURES])
def test_rendering_matches_transformers_byte_for_byte(case):
    rendered = render_chat(case["messages"], case["template"],
                           add_generation_prompt=case["add_generation_prompt"],
                           system=case.get("system"), instructions=case.get("instructions"),
                           placement=case.get("placement", "turns"))
    assert rendered.text == case["expected"]


def test_the_fixtures_cover_every_named_template_and_both_placements():
    names = {c["template"] for c in FIXTURES}
    assert {"chatml", "llama-3", "mistral", "gemma", "alpaca"} <= names
    assert {c.get("placement", "turns") for c in FIXTURES} == {"turns", "inline"}


def test_chatml_is_lm_studio_format():
    text = render_chat([{"role": "user", "content": "Hi"}], "chatml", system="S").text
    assert text == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n" \
                   "<|im_start|>assistant\n"


def test_gemma_folds_the_system_prompt_into_the_first_user_turn():
    text = render_chat([{"role": "user", "content": "Hi"}], "gemma", system="Be kind.").text
    assert text == "<bos><start_of_turn>user\nBe kind.\n\nHi<end_of_turn>\n<start_of_turn>model\n"


def test_inline_placement_puts_instructions_and_history_atop_the_user_turn():
    messages = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"}]
    turns = place(messages, "sys", "be short", "inline")
    assert turns == [{"role": "system", "content": "sys"},
                     {"role": "user", "content": "Custom instructions:\nbe short\n\n"
                      "Conversation so far:\nuser: a\nassistant: b\n\nc"}]


def test_turns_placement_keeps_history_as_turns():
    messages = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    assert place(messages, "sys", "note", "turns") == [
        {"role": "system", "content": "sys\n\nnote"}, *messages]


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ raise_exception.__globals__ }}",
    "{{ messages.__class__.__base__.__subclasses__() }}",
    "{{ lipsum.__globals__['os'].system('echo pwned') }}",
    "{% set ns = namespace() %}{% set ns.__class__ = 1 %}",
    "{{ messages.append(1) }}",
    "{{ self.__init__.__globals__.__builtins__ }}",
    "{{ (messages|attr('__class__')) }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escapes_are_template_errors(source, tmp_path):
    with pytest.raises(TemplateError):
        render_chat([{"role": "user", "content": "x"}], source)


@pytest.mark.parametrize("source, message", [
    ("{% for x in %}", "syntax"),
    ("{{ raise_exception('nope') }}", "rejected"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ("chatgpt", "unknown template"),
])
def test_broken_templates_name_the_problem(source, message):
    with pytest.raises(TemplateError, match=message):
        render_chat([{"role": "user", "content": "x"}], source)


def test_roles_that_do_not_alternate_are_refused_by_mistral():
    with pytest.raises(TemplateError, match="alternate"):
        render_chat([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
                    "mistral")


def test_inline_placement_needs_a_final_user_turn():
    with pytest.raises(TemplateError, match="last message"):
        place([{"role": "assistant", "content": "a"}], None, "x", "inline")


@pytest.mark.parametrize("source, message", [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
     "looped more than"),
    ("{{ 'x' * 10**8 }}", "sequence of over"),
    ("{{ [1] * 2000000 }}", "sequence of over"),
    ("{{ 10 ** 100000 }}", "power above"),
    ("{% for i in range(99999) %}{{ 'abcdefghijklmnopqrstuvwxyz0123456789' * 2 }}{% endfor %}",
     "more than"),
])
def test_expensive_templates_are_refused(source, message):
    with pytest.raises(TemplateError, match=message):
        render_chat([{"role": "user", "content": "x"}], source)


def test_bounded_range_behaves_like_range_in_templates():
    source = ("{{ range(3) | list }} {{ range(5)[1:3] | list }} {{ range(4) | length }} "
              "{{ 2 in range(3) }} {{ range(3) | reverse | list }} {{ 2 ** 10 }} {{ 'ab' * 2 }}")
    text = render_chat([{"role": "user", "content": "x"}], source).text
    assert text == "[0, 1, 2] [1, 2] 4 True [2, 1, 0] 1024 abab"
