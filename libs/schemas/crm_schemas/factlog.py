"""Incremental folding with late events: what a service does as facts arrive one by one."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_schemas.fold import Fact, apply, fold
from crm_schemas.pipeline import PipelineState


@dataclass
class FactLog:
    """A customer's stored facts and current state.

    A fact at or after the latest applied one is applied on top; an older one (a late
    event) re-folds every stored fact, so any arrival order ends where timestamp order does.
    """

    facts: list[Fact] = field(default_factory=list)
    state: PipelineState = field(default_factory=PipelineState)
    refolds: int = 0

    def add(self, fact: Fact) -> PipelineState:
        if any(known.event_id == fact.event_id for known in self.facts):
            return self.state  # the same fact again changes nothing
        is_late = bool(self.facts) and fact.order_key < max(f.order_key for f in self.facts)
        self.facts.append(fact)
        if is_late:
            self.refolds += 1
            self.state = fold(self.facts)
        else:
            self.state = apply(self.state, fact)
        return self.state
