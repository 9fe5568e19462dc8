"""Model backends behind one small protocol: batched chat generation, and choice scoring for judges.

    from trainer.backends import SamplingParams, open_backend

    with open_backend("embedded") as backend:          # or "hf:PATH", "openai:URL#MODEL", "fake"
        [answer] = backend.generate([[{"role": "user", "content": "Hi"}]], SamplingParams(max_new_tokens=32))

Importing this package loads no model and imports neither torch nor transformers; backends load
them when built. `trainer.backends.fake.FakeBackend` is the scripted stand-in for tests.
"""

from compiler.embedded import embedded_name
from spec_lang.cache import cache_dir as default_cache_dir  # the cache root, re-exported for the CLI
from spec_lang.model import Role
from trainer.backends._address import (
    ADDRESS_FORMS,
    RUN_FINAL,
    RUN_MANIFEST,
    ModelAddress,
    describe_forms,
    model_identity,
    parse_address,
    run_final_model,
)
from trainer.backends._chat_template import injected_system_prompt, render_chat
from trainer.backends._embedded import (
    embedded_model_dir,
    embedded_tokenizer_dir,
    find_embedded_gguf,
)
from trainer.backends._errors import BackendClosedError, BackendError, ModelAddressError, ModelUnavailableError
from trainer.backends._loading import load_causal_lm, missing_model_folder, pick_device
from trainer.backends._openai import OpenAIBackend
from trainer.backends._protocol import (
    ChatBackend,
    ChatMessage,
    Conversation,
    FinishReason,
    Generation,
    JsonSchema,
    SamplingParams,
)
from trainer.backends._registry import open_backend
from trainer.backends._retry import RetryPolicy
from trainer.backends._transformers import TransformersBackend
from trainer.backends.fake import FakeBackend, FakeCall

__all__ = [
    "ADDRESS_FORMS",
    "BackendClosedError",
    "BackendError",
    "ChatBackend",
    "ChatMessage",
    "Conversation",
    "default_cache_dir",
    "describe_forms",
    "embedded_model_dir",
    "embedded_name",
    "embedded_tokenizer_dir",
    "FakeBackend",
    "FakeCall",
    "find_embedded_gguf",
    "FinishReason",
    "Generation",
    "injected_system_prompt",
    "JsonSchema",
    "load_causal_lm",
    "missing_model_folder",
    "model_identity",
    "ModelAddress",
    "ModelAddressError",
    "ModelUnavailableError",
    "open_backend",
    "OpenAIBackend",
    "parse_address",
    "pick_device",
    "render_chat",
    "RetryPolicy",
    "Role",
    "RUN_FINAL",
    "run_final_model",
    "RUN_MANIFEST",
    "SamplingParams",
    "TransformersBackend",
]
