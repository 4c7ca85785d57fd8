"""w2s_lib: weak-to-strong generalization with facilitation (Φ), debate (D) and alignment (Ψ).

Importing the package is cheap and never touches a GPU; heavy modules (torch,
transformers) are imported by the submodules that need them.
"""
__version__ = "0.1.0"
