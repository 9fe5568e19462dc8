"""Category retrieval: find the categories of a spec that govern a prompt.

Every category's units (title, prose chunks, rules, definitions, its examples' prompts and titles) are
embedded with a sentence-transformers model into a stored faiss index (`open_index`); a `Retriever` scores
prompts against the units densely and with BM25, pools the scores per category and fuses the two rankings.
A prompt whose best cosine similarity to any unit is below a calibrated threshold is flagged uncategorised.
`tuned_embedder` fine-tunes the embedder on the spec's own pairs (each category's texts with its heading),
cached per spec content, base model and settings. `trained_reranker` trains a cross-encoder on the spec's
own texts (each with its category's passage and first-stage hard negatives), cached the same way;
`Retriever.reranked` then rescores each prompt's best categories with it. `Retriever.llm_reranked` has an
injected `ListReranker` (a chat model, from the trainer side) reorder each prompt's best categories.

Errors: `RetrievalIndexError` (an index cannot be used), `EmbedderError` (a model cannot be loaded),
`QueryFileError` (a query or labelled file cannot be read).
"""

from compiler.retrieval._bm25 import Bm25Scorer
from compiler.retrieval._config import DEFAULT_THRESHOLD, METHODS, TUNED_THRESHOLD, Method, RetrievalConfig
from compiler.retrieval._embedder import Embedder, EmbedderError, SentenceTransformerEmbedder, default_model_path
from compiler.retrieval._files import LabeledPrompt, QueryFileError, read_labeled, read_prompts
from compiler.retrieval._finetune import TuningReport, tuned_embedder
from compiler.retrieval._index import (
    BuildReport,
    IndexMeta,
    RetrievalIndexError,
    UnitIndex,
    build_index,
    load_index,
    open_index,
    save_index,
)
from compiler.retrieval._listwise import Candidate, ListRerankConfig, ListReranker
from compiler.retrieval._paths import default_index_dir, default_tuned_dir
from compiler.retrieval._rerank import RerankConfig, Reranker
from compiler.retrieval._rerank_data import RerankList, training_lists
from compiler.retrieval._reranker import (
    CrossEncoderBase,
    CrossEncoderReranker,
    RerankerBase,
    RerankReport,
    trained_reranker,
)
from compiler.retrieval._retriever import CategoryScore, RetrievalResult, Retriever
from compiler.retrieval._splits import split_of
from compiler.retrieval._tuning import TrainingPair, TunableEmbedder, TuneConfig, training_pairs
from compiler.retrieval._units import Unit, spec_units

__all__ = [
    "DEFAULT_THRESHOLD",
    "METHODS",
    "TUNED_THRESHOLD",
    "Bm25Scorer",
    "BuildReport",
    "Candidate",
    "CategoryScore",
    "CrossEncoderBase",
    "CrossEncoderReranker",
    "Embedder",
    "EmbedderError",
    "IndexMeta",
    "LabeledPrompt",
    "ListRerankConfig",
    "ListReranker",
    "Method",
    "QueryFileError",
    "RerankConfig",
    "RerankList",
    "RerankReport",
    "Reranker",
    "RerankerBase",
    "RetrievalConfig",
    "RetrievalIndexError",
    "RetrievalResult",
    "Retriever",
    "SentenceTransformerEmbedder",
    "TrainingPair",
    "TunableEmbedder",
    "TuneConfig",
    "TuningReport",
    "Unit",
    "UnitIndex",
    "build_index",
    "default_index_dir",
    "default_model_path",
    "default_tuned_dir",
    "load_index",
    "open_index",
    "read_labeled",
    "read_prompts",
    "save_index",
    "spec_units",
    "split_of",
    "trained_reranker",
    "training_lists",
    "training_pairs",
    "tuned_embedder",
]
