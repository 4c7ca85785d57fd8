"""Training: seeding, the finetuning engine, probes on cached features."""
