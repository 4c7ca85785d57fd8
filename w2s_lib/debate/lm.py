"""A causal language model for debaters and judges that write text (any architecture)."""
from __future__ import annotations

from typing import Sequence


class CausalLM:
    """Batched, left-padded generation; chat templates are applied when the tokenizer has one."""

    def __init__(self, source: str):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from ..devices import resolve_device
        from ..models.sources import check_source, load_arguments

        check_source(source)
        path, kwargs = load_arguments(source)
        self.tokenizer = AutoTokenizer.from_pretrained(path, **{k: v for k, v in kwargs.items()
                                                                if k in ("revision", "gguf_file")})
        self.tokenizer.padding_side = "left"
        self.tokenizer.truncation_side = "left"  # a prompt too long for the model keeps its end
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.device = resolve_device()  # W2S_DEVICE (default auto)
        dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kwargs).to(self.device).eval()
        config = self.model.config
        self.positions = next((getattr(config, k) for k in ("max_position_embeddings", "n_positions", "n_ctx")
                               if isinstance(getattr(config, k, None), int)), None)

    def _encode(self, prompts: Sequence[str], room: int):
        """Tokenized, left-padded prompts, cut from the left so ``room`` new tokens still fit."""
        limit = None if self.positions is None else max(1, self.positions - room)
        return self.tokenizer([self.format(p) for p in prompts], return_tensors="pt", padding=True,
                              add_special_tokens=False, truncation=limit is not None, max_length=limit).to(self.device)

    def format(self, prompt: str) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                      add_generation_prompt=True)
        return prompt

    def generate(self, prompts: Sequence[str], max_new_tokens: int, temperature: float = 0.0, seed: int = 0,
                 batch_size: int = 8, stop: Sequence[str] = ()) -> list[str]:
        """Continuations of ``prompts``; with ``stop`` strings, each ends at the first of them (kept),
        which a base model that runs on after its answer needs."""
        import torch

        out = []
        torch.manual_seed(seed)
        extra = {"stop_strings": list(stop), "tokenizer": self.tokenizer} if stop else {}
        for start in range(0, len(prompts), batch_size):
            enc = self._encode(prompts[start: start + batch_size], max_new_tokens)
            with torch.inference_mode():
                generated = self.model.generate(**enc, max_new_tokens=max_new_tokens,
                                                do_sample=temperature > 0,
                                                temperature=temperature if temperature > 0 else None,
                                                pad_token_id=self.tokenizer.pad_token_id, **extra)
            new = generated[:, enc["input_ids"].shape[1]:]
            out.extend(cut_at_stop(text, stop) for text in self.tokenizer.batch_decode(new, skip_special_tokens=True))
        return out

    def next_token_probs(self, prompts: Sequence[str], candidates: Sequence[str], batch_size: int = 8):
        """P of each candidate continuation's first token after each prompt, renormalised over them."""
        import numpy as np
        import torch

        ids = [self.tokenizer(c, add_special_tokens=False)["input_ids"][0] for c in candidates]
        rows = []
        for start in range(0, len(prompts), batch_size):
            enc = self._encode(prompts[start: start + batch_size], 1)
            with torch.inference_mode():
                logits = self.model(**enc).logits[:, -1, :].float()
            rows.append(torch.softmax(logits[:, ids], dim=-1).cpu().numpy())
        return np.concatenate(rows) if rows else np.zeros((0, len(candidates)))


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """``text`` up to and including the first stop string in it (a batch runs until all its rows
    stop, so rows that stopped early may carry tokens after their stop)."""
    ends = [text.find(s) + len(s) for s in stop if s and s in text]
    return text[: min(ends)] if ends else text
