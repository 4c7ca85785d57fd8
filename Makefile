# Two commands for a fresh machine: `make reproduce` and `make test`.
# Each creates .venv/ when it is missing and installs the package into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.w2s-installed
export TQDM_DISABLE ?= 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: all reproduce test pytest nbval smoke venv strip clean-results clean-cache

all: test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# the torch range is installed first so pip picks the local CPU build, not a CUDA one
	$(BIN)/python -m pip install -q "torch>=2.3,<2.14"
	$(BIN)/python -m pip install -q -e ".[test]"
	bash scripts/install_system_deps.sh
	@touch $(STAMP)

venv: $(STAMP)

reproduce: $(STAMP)  ## every notebook, micro preset -> results/micro/
	$(BIN)/w2s reproduce --preset micro

smoke: $(STAMP)      ## every notebook at smoke size -> results/smoke/
	$(BIN)/w2s reproduce --preset smoke

test: $(STAMP)       ## pytest for the library + nbval (lax) for the notebooks
	$(BIN)/python -m pytest -q -p no:cacheprovider tests notebooks --nbval-lax --nbval-current-env

strip: $(STAMP)      ## strip outputs from the notebooks before committing
	$(BIN)/nbstripout notebooks/*.ipynb

clean-results:
	rm -rf results build

clean-cache: $(STAMP)
	$(BIN)/w2s cache clean --all
