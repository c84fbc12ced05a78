"""People and companies: the company's own staff, the accounts it sells to, their people."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.generate.vocabulary import (
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    COUNTRIES,
    FIRST_NAMES,
    FREE_MAIL_DOMAINS,
    INDUSTRIES,
    JOB_TITLES,
    LAST_NAMES,
)
from dagster_project.generate.world.common import DAY, Sim, days, hex_ids, record_ids


@dataclass(frozen=True)
class SalesTeam:
    """User ids of the account executives (own accounts and deals) and SDRs (work leads)."""

    account_executives: np.ndarray
    sdrs: np.ndarray


def _joined(*parts) -> np.ndarray:
    """Element-wise string concatenation of arrays and strings."""
    result = parts[0]
    for part in parts[1:]:
        result = np.char.add(result, part)
    return result


def simulate_users(sim: Sim) -> tuple[pd.DataFrame, SalesTeam]:
    """CRM users: account executives and SDRs scale with the accounts, plus marketing staff."""
    rng = sim.rng
    n_executives, n_sdrs = max(3, sim.cfg.accounts // 60), max(2, sim.cfg.accounts // 90)
    roles = ["Account Executive"] * n_executives + ["SDR"] * n_sdrs + ["Marketing"] * 3
    roles += ["Sales Manager"]
    count = len(roles)
    first, last = rng.choice(FIRST_NAMES, count), rng.choice(LAST_NAMES, count)
    users = pd.DataFrame(
        {
            "user_id": record_ids("005", count),
            "name": _joined(first, " ", last),
            "email": np.char.add(np.char.lower(_joined(first, ".", last)), "@revjourney.io"),
            "role": roles,
            "is_active": rng.random(count) > 0.1,
            "created_at": sim.start - 200 * DAY,
        }
    )
    role = np.array(roles)
    team = SalesTeam(
        account_executives=users.user_id[role == "Account Executive"].to_numpy(),
        sdrs=users.user_id[role == "SDR"].to_numpy(),
    )
    return users, team


def simulate_accounts(sim: Sim, team: SalesTeam) -> pd.DataFrame:
    """Companies with a made-up name and domain, a size, a country and an owning AE."""
    rng, count = sim.rng, sim.cfg.accounts
    word, suffix = rng.choice(COMPANY_WORDS, count), rng.choice(COMPANY_SUFFIXES, count)
    number = np.arange(count).astype(str)
    name = _joined(np.char.capitalize(word), " ", np.char.capitalize(suffix))
    name = _joined(name, " ", number)
    domain = _joined(word, suffix, number, ".com")
    country_idx = rng.choice(len(COUNTRIES), count, p=[country.share for country in COUNTRIES])
    return pd.DataFrame(
        {
            "account_id": record_ids("001", count),
            "name": name,
            "domain": domain,
            "industry": rng.choice(INDUSTRIES, count),
            "employees": np.round(rng.lognormal(5.0, 1.2, count)).astype(int) + 5,
            "country": np.array([country.name for country in COUNTRIES])[country_idx],
            "currency": np.array([country.currency for country in COUNTRIES])[country_idx],
            "owner_id": rng.choice(team.account_executives, count),
            "created_at": sim.start + days(rng.uniform(-300, 0.8 * sim.span_days, count)),
        }
    )


def simulate_persons(sim: Sim, accounts: pd.DataFrame) -> pd.DataFrame:
    """The people at each account, with a work (or free-mail) address and a web cookie."""
    rng = sim.rng
    per_account = 1 + rng.poisson(3.0, len(accounts))
    account_idx = np.repeat(np.arange(len(accounts)), per_account)
    count = len(account_idx)
    first, last = rng.choice(FIRST_NAMES, count), rng.choice(LAST_NAMES, count)
    # work address styles: first.last, flast, first<number>
    style = rng.integers(0, 3, count)
    initial = np.array([name[0] for name in first])
    number = np.arange(count).astype(str)
    local = np.where(
        style == 0,
        _joined(first, ".", last),
        np.where(style == 1, np.char.add(initial, last), np.char.add(first, number)),
    )
    local = np.char.lower(local)
    free = rng.random(count) < sim.cfg.free_mail_share
    free_local = np.char.add(np.char.lower(_joined(first, ".", last)), number)
    email = np.where(
        free,
        _joined(free_local, "@", rng.choice(FREE_MAIL_DOMAINS, count)),
        _joined(local, "@", accounts.domain.to_numpy()[account_idx]),
    )
    return pd.DataFrame(
        {
            "person_id": np.char.add("P", np.char.zfill(np.arange(1, count + 1).astype(str), 9)),
            "account_idx": account_idx,
            "account_id": accounts.account_id.to_numpy()[account_idx],
            "first_name": first,
            "last_name": last,
            "email": email,
            "is_free_mail": free,
            "title": rng.choice(JOB_TITLES, count),
            "visitor_id": hex_ids(rng, "v_", count, 16),
            # a share of people is reached by marketing at all; the rest only by sales
            "engaged": rng.random(count) < 0.62,
        }
    )
