"""The built-in chat templates, written as Hugging Face `chat_template` Jinja strings."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NamedTemplate:
    """A template with the special tokens it expects and the strings that end a reply."""

    source: str
    bos_token: str = ""
    eos_token: str = ""
    stop: tuple[str, ...] = ()


# LM Studio's ChatML (Qwen style): every turn, the system one included, is
# <|im_start|>role\ncontent<|im_end|>\n.
CHATML = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# Meta-Llama-3-Instruct's template.
LLAMA_3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)

# Mistral-Instruct: [INST] ... [/INST]; a system prompt is folded into the first user turn.
MISTRAL = (
    "{%- if messages and messages[0]['role'] == 'system' %}"
    "{%- set system_message = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}"
    "{%- else %}{%- set loop_messages = messages %}{%- endif %}"
    "{{- bos_token }}"
    "{%- for message in loop_messages %}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{%- endif %}"
    "{%- if message['role'] == 'user' %}"
    "{%- if loop.first and system_message is defined %}"
    "{{- '[INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}"
    "{%- else %}{{- '[INST] ' + message['content'] + ' [/INST]' }}{%- endif %}"
    "{%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token }}"
    "{%- else %}"
    "{{- raise_exception('Only user, assistant and a first system role are supported') }}"
    "{%- endif %}"
    "{%- endfor %}"
)

# Gemma: no system role, so (as Gemma 3's official template does) the system prompt opens the
# first user turn; the assistant is called "model".
GEMMA = (
    "{{- bos_token }}"
    "{%- if messages and messages[0]['role'] == 'system' %}"
    "{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' %}"
    "{%- set loop_messages = messages[1:] %}"
    "{%- else %}{%- set first_user_prefix = '' %}{%- set loop_messages = messages %}{%- endif %}"
    "{%- for message in loop_messages %}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{%- endif %}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{- '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') }}"
    "{{- message['content'] | trim }}"
    "{{- '<end_of_turn>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<start_of_turn>model\\n' }}{%- endif %}"
)

# Stanford Alpaca's prompt, one ### Instruction / ### Response pair per exchange.
ALPACA = (
    "{%- if messages and messages[0]['role'] == 'system' %}"
    "{{- messages[0]['content'] + '\\n\\n' }}{%- set loop_messages = messages[1:] %}"
    "{%- else %}"
    "{{- 'Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\\n\\n' }}"
    "{%- set loop_messages = messages %}{%- endif %}"
    "{%- for message in loop_messages %}"
    "{%- if message['role'] == 'user' %}"
    "{{- '### Instruction:\\n' + message['content'] + '\\n\\n' }}"
    "{%- elif message['role'] == 'assistant' %}"
    "{{- '### Response:\\n' + message['content'] + eos_token + '\\n\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '### Response:\\n' }}{%- endif %}"
)

TEMPLATES = {
    "chatml": NamedTemplate(CHATML, "", "<|im_end|>", ("<|im_end|>", "<|im_start|>")),
    "llama-3": NamedTemplate(LLAMA_3, "<|begin_of_text|>", "<|eot_id|>",
                             ("<|eot_id|>", "<|start_header_id|>")),
    "mistral": NamedTemplate(MISTRAL, "<s>", "</s>", ("</s>", "[INST]")),
    "gemma": NamedTemplate(GEMMA, "<bos>", "<eos>", ("<end_of_turn>", "<start_of_turn>")),
    "alpaca": NamedTemplate(ALPACA, "", "</s>", ("</s>", "### Instruction:")),
}
