"""The learned failure profile of one (model, domain): what fails, which specialists cover it, and the
evidence behind that choice. Saved as validated JSON so a run can be reproduced and audited.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fama_dspy import __version__
from fama_dspy.analysis.taxonomy import ErrorCategory, SpecialistCode
from fama_dspy.errors import ConfigError

SCHEMA_VERSION = 1


class FailureProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    #: The agent's model and the domain the profile was learned on.
    model: str
    domain: str
    split: str = "train"
    task_ids: list[str] = []
    trials: int = Field(1, ge=1)
    judge_model: str = ""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    fama_dspy_version: str = __version__
    #: Failed episodes analysed, and those of them blamed on the user simulator or the task.
    n_failed: int = Field(0, ge=0)
    n_excluded_non_agent: int = Field(0, ge=0)
    #: Agent-caused failures in which no primary error was identified.
    n_without_primary: int = Field(0, ge=0)
    #: Judge verdicts that could not be parsed (unknown), over agent-caused failures.
    n_unknown_verdicts: int = Field(0, ge=0)
    #: Agent-caused failed episodes with each category as a primary error, and that count's share.
    category_counts: dict[ErrorCategory, int] = {}
    category_frequencies: dict[ErrorCategory, float] = {}
    #: The learned category × specialist relation the selection used (``selection.learn_scores``).
    relation: dict[ErrorCategory, dict[SpecialistCode, float]] = {}
    #: Share of the failure mass each specialist covers on its own.
    specialist_scores: dict[SpecialistCode, float] = {}
    #: Re-run credits behind the learned scores, per specialist (summed over categories).
    evidence: dict[SpecialistCode, dict[Literal["tried", "fixed"], int]] = {}
    prior_weight: float = Field(2.0, ge=0)
    coverage_threshold: float = Field(0.8, ge=0, le=1)
    budget: int = Field(2, ge=0)
    recommended: list[SpecialistCode] = []
    coverage: float = Field(0.0, ge=0, le=1 + 1e-9)
    explanation: str = ""
    notes: list[str] = []

    @field_validator("recommended", mode="before")
    @classmethod
    def _lower_codes(cls, value):
        return [str(v).strip().lower() for v in value] if isinstance(value, list) else value

    @field_validator("category_frequencies", "specialist_scores")
    @classmethod
    def _fractions(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"values must be in [0, 1]: {bad}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FailureProfile:
        for code, counts in self.evidence.items():
            if not 0 <= counts.get("fixed", 0) <= counts.get("tried", 0):
                raise ValueError(f"evidence for {code}: need 0 <= fixed <= tried, got {counts}")
        if len(self.recommended) > self.budget:
            raise ValueError(
                f"{len(self.recommended)} recommended specialists exceed the budget of {self.budget}"
            )
        if self.n_excluded_non_agent > self.n_failed:
            raise ValueError("n_excluded_non_agent exceeds n_failed")
        return self

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> FailureProfile:
        """Read and validate a saved profile; any problem is a ``ConfigError`` naming the file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"No failure profile at {path}; run the failure analysis first.") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"Failure profile {path} is not readable JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"Failure profile {path} must hold a JSON object.")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ConfigError(
                f"Failure profile {path} has schema_version {version!r}; this fama-dspy reads {SCHEMA_VERSION}. "
                "Re-run the failure analysis."
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in exc.errors()[:5]
            )
            raise ConfigError(f"Failure profile {path} is invalid: {problems}") from None

    def check_compatible(self, model: str, domain: str) -> bool:
        """True if the profile was learned for this model and domain; else warn and return False.

        Models compare by their last path segment, case-insensitively and without a ``local:`` prefix:
        ``openai/Qwen2.5-7B`` and ``qwen2.5-7b`` are the same model behind different routes, as are
        ``local:qwen2.5-coder-1.5b`` and ``qwen2.5-coder-1.5b``. An empty field matches anything.
        """
        problems = []
        if self.model and model and _model_key(self.model) != _model_key(model):
            problems.append(f"model {self.model!r} (running {model!r})")
        if self.domain and domain and self.domain.strip().lower() != domain.strip().lower():
            problems.append(f"domain {self.domain!r} (running {domain!r})")
        if problems:
            warnings.warn(
                f"Failure profile was made for {' and '.join(problems)}; its specialist choice may not fit. "
                "Re-run the failure analysis for this model and domain.",
                UserWarning,
                stacklevel=2,
            )
            return False
        return True


def _model_key(name: str) -> str:
    key = name.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    if key == "local":  # the bare spec routes to the embedded server's default model
        from fama_dspy.serving.models import DEFAULT_MODEL

        return DEFAULT_MODEL.lower()
    # "local:qwen2.5-coder-1.5b" is the embedded server's qwen2.5-coder-1.5b
    return key.removeprefix("local:")
