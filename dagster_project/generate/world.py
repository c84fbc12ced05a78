"""Simulates a B2B company's marketing and sales world, vectorised with NumPy.

The world is causally coherent: anonymous touches precede the form fill that creates a lead; leads
become MQLs, are followed up by SDRs, convert to contacts and opportunities; won opportunities
become paying billing customers; ad spend is derived from the clicks it bought. Channels differ in
volume, cost per click and quality (MQL, conversion and win rates, deal size, cycle length), so
attribution has a signal to find. Everything is drawn from one seeded ``numpy.random.Generator``:
the same config gives the same world.

The output is a dict of pandas DataFrames in a neutral internal shape (UTC timestamps as
``datetime64``); ``exports.py`` turns them into the exact file shapes of each source tool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

DAY = np.timedelta64(86_400, "s")

# key, channel, sub_channel, pre-lead weight, P(mql), P(convert | mql), P(win), cycle days, deal x
CHANNELS = [
    ("paid_search", "paid_search", "google_search", 0.24, 0.45, 0.40, 0.30, 60, 1.0),
    ("display", "display", "google_display", 0.08, 0.18, 0.20, 0.18, 75, 0.8),
    ("meta", "paid_social", "meta", 0.16, 0.25, 0.22, 0.18, 70, 0.7),
    ("linkedin", "paid_social", "linkedin", 0.10, 0.50, 0.42, 0.32, 80, 1.4),
    ("organic_search", "organic_search", "google", 0.18, 0.40, 0.38, 0.30, 65, 1.0),
    ("referral", "referral", "partner", 0.06, 0.65, 0.55, 0.45, 50, 1.2),
    ("direct", "direct", "direct", 0.08, 0.45, 0.40, 0.33, 60, 1.0),
    ("content", "content", "blog", 0.10, 0.30, 0.28, 0.25, 70, 0.9),
    ("email", "email", "marketing_email", 0.0, 0.30, 0.30, 0.25, 65, 1.0),
    ("event", "events_webinars", "trade_show", 0.0, 0.60, 0.48, 0.38, 55, 1.3),
    ("webinar", "events_webinars", "webinar", 0.0, 0.50, 0.38, 0.30, 60, 1.1),
]
CH = {c[0]: i for i, c in enumerate(CHANNELS)}
CH_KEY = np.array([c[0] for c in CHANNELS])
CH_CHANNEL = np.array([c[1] for c in CHANNELS])
CH_SUB = np.array([c[2] for c in CHANNELS])
PRE_W = np.array([c[3] for c in CHANNELS])
P_MQL, P_CONV, P_WIN = (np.array([c[i] for c in CHANNELS]) for i in (4, 5, 6))
CYCLE, DEAL_X = np.array([c[7] for c in CHANNELS]), np.array([c[8] for c in CHANNELS])
PAID = {"paid_search": "google", "display": "google", "meta": "meta", "linkedin": "linkedin"}
# mean cost per click in the platform currency (typical B2B costs: search and LinkedIn are dear)
CPC = {"paid_search": 9.5, "display": 2.0, "meta": 3.0, "linkedin": 11.0}
# post-lead (nurture) touch mix; email touches come from email sends, not from this draw
POST = {"paid_search": 0.2, "meta": 0.15, "linkedin": 0.15, "content": 0.25, "webinar": 0.25}

FIRST = np.array(
    [
        "James",
        "Mary",
        "Robert",
        "Patricia",
        "John",
        "Jennifer",
        "Michael",
        "Linda",
        "David",
        "Elizabeth",
        "William",
        "Barbara",
        "Richard",
        "Susan",
        "Joseph",
        "Jessica",
        "Thomas",
        "Sarah",
        "Chris",
        "Karen",
        "Daniel",
        "Lisa",
        "Matthew",
        "Nancy",
        "Anthony",
        "Sandra",
        "Mark",
        "Ashley",
        "Paul",
        "Emily",
        "Steven",
        "Anna",
        "Andrew",
        "Sofia",
        "Lukas",
        "Emma",
        "Noah",
        "Mia",
        "Liam",
        "Olivia",
        "Mateo",
        "Chloe",
        "Arjun",
        "Priya",
        "Wei",
        "Yuki",
        "Omar",
        "Fatima",
        "Lars",
        "Ingrid",
    ]
)
LAST = np.array(
    [
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Garcia",
        "Miller",
        "Davis",
        "Rodriguez",
        "Martinez",
        "Lopez",
        "Wilson",
        "Anderson",
        "Taylor",
        "Thomas",
        "Moore",
        "Jackson",
        "Martin",
        "Lee",
        "Thompson",
        "White",
        "Harris",
        "Clark",
        "Lewis",
        "Walker",
        "Young",
        "Allen",
        "King",
        "Wright",
        "Scott",
        "Nguyen",
        "Hill",
        "Green",
        "Adams",
        "Baker",
        "Nelson",
        "Mueller",
        "Schmidt",
        "Rossi",
        "Dubois",
        "Silva",
        "Kowalski",
        "Jansen",
        "Berg",
        "Novak",
        "Tanaka",
        "Patel",
        "Kim",
    ]
)
WORDS = np.array(
    [
        "acme",
        "globex",
        "initech",
        "umbrella",
        "stark",
        "wayne",
        "tyrell",
        "cyber",
        "nimbus",
        "vertex",
        "quantum",
        "apex",
        "summit",
        "nova",
        "orbit",
        "pixel",
        "lumen",
        "atlas",
        "helix",
        "zenith",
        "cobalt",
        "ember",
        "falcon",
        "harbor",
        "ion",
        "jade",
        "kinetic",
        "lotus",
        "matrix",
        "nexus",
        "onyx",
        "prism",
        "quartz",
        "radiant",
        "sierra",
        "titan",
        "ultra",
        "vector",
        "willow",
        "xeno",
        "yonder",
        "zephyr",
    ]
)
SUFFIX = np.array(["labs", "systems", "software", "analytics", "group", "tech", "cloud", "data"])
INDUSTRY = np.array(
    [
        "Software",
        "Financial Services",
        "Healthcare",
        "Manufacturing",
        "Retail",
        "Education",
        "Media",
        "Logistics",
        "Telecommunications",
        "Energy",
    ]
)
COUNTRY_CCY = [
    ("United States", "USD", 0.55),
    ("United Kingdom", "GBP", 0.15),
    ("Germany", "EUR", 0.12),
    ("France", "EUR", 0.08),
    ("Netherlands", "EUR", 0.05),
    ("Canada", "USD", 0.05),
]
FREE_MAIL = np.array(["gmail.com", "yahoo.com", "outlook.com", "hotmail.com"])


@dataclass(frozen=True)
class WorldConfig:
    """Knobs of the simulated world. ``accounts`` is the scale knob (tests: a few hundred)."""

    accounts: int = 1000
    seed: int = 42
    start: date = date(2025, 1, 1)
    end: date = date(2026, 10, 31)
    anonymous_visitors_per_person: float = 2.0
    free_mail_share: float = 0.12


def _ts(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "s")


def _ids(prefix: str, n: int, start: int = 0) -> np.ndarray:
    """Salesforce-like 18-character ids: a 3-character key prefix and a 15-character number."""
    return np.char.add(prefix, np.char.zfill(np.arange(start + 1, start + n + 1).astype(str), 15))


def _hex_ids(rng: np.random.Generator, prefix: str, n: int, width: int = 24) -> np.ndarray:
    """Random-looking opaque ids (click ids, Stripe ids), unique within the batch."""
    if n == 0:
        return np.array([], dtype="<U1")
    raw = rng.integers(0, 2**62, size=n, dtype=np.int64)
    raw = np.unique(raw) if len(np.unique(raw)) == n else np.arange(n) * 7919 + 1_000_003
    rng.shuffle(raw)
    return np.char.add(prefix, np.char.zfill(np.char.mod("%x", raw), width // 2 + 4))


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every group of ``counts`` consecutive elements."""
    c = np.cumsum(values)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    base = np.concatenate([[0.0], c])[starts]
    return c - base


def _days(x) -> np.ndarray:
    return (np.asarray(x, dtype=float) * 86_400).astype("int64").astype("timedelta64[s]")


class _World:
    """Builds the world step by step; each step adds DataFrames to ``self.t``."""

    def __init__(self, cfg: WorldConfig):
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.start, self.end = _ts(cfg.start), _ts(cfg.end)
        self.span_days = (self.end - self.start) / DAY
        self.t: dict[str, pd.DataFrame] = {}

    # ------------------------------------------------------------------ people and companies
    def users(self) -> None:
        rng = self.rng
        n_ae, n_sdr = max(3, self.cfg.accounts // 60), max(2, self.cfg.accounts // 90)
        roles = ["Account Executive"] * n_ae + ["SDR"] * n_sdr + ["Marketing"] * 3
        roles += ["Sales Manager"]
        n = len(roles)
        first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
        self.t["users"] = pd.DataFrame(
            {
                "user_id": _ids("005", n),
                "name": np.char.add(np.char.add(first, " "), last),
                "email": np.char.add(
                    np.char.lower(np.char.add(np.char.add(first, "."), last)), "@revjourney.io"
                ),
                "role": roles,
                "is_active": rng.random(n) > 0.1,
                "created_at": self.start - 200 * DAY,
            }
        )
        self.ae = self.t["users"].user_id[np.array(roles) == "Account Executive"].to_numpy()
        self.sdr = self.t["users"].user_id[np.array(roles) == "SDR"].to_numpy()

    def accounts(self) -> None:
        rng, n = self.rng, self.cfg.accounts
        w1, w2 = rng.choice(WORDS, n), rng.choice(SUFFIX, n)
        num = np.arange(n).astype(str)
        name = np.char.add(np.char.add(np.char.capitalize(w1), " "), np.char.capitalize(w2))
        name = np.char.add(np.char.add(name, " "), num)
        domain = np.char.add(np.char.add(np.char.add(w1, w2), num), ".com")
        cc = rng.choice(len(COUNTRY_CCY), n, p=[c[2] for c in COUNTRY_CCY])
        self.t["accounts"] = pd.DataFrame(
            {
                "account_id": _ids("001", n),
                "name": name,
                "domain": domain,
                "industry": rng.choice(INDUSTRY, n),
                "employees": np.round(rng.lognormal(5.0, 1.2, n)).astype(int) + 5,
                "country": np.array([c[0] for c in COUNTRY_CCY])[cc],
                "currency": np.array([c[1] for c in COUNTRY_CCY])[cc],
                "owner_id": rng.choice(self.ae, n),
                "created_at": self.start + _days(rng.uniform(-300, 0.8 * self.span_days, n)),
            }
        )

    def persons(self) -> None:
        rng, acc = self.rng, self.t["accounts"]
        per = 1 + rng.poisson(3.0, len(acc))
        a_idx = np.repeat(np.arange(len(acc)), per)
        n = len(a_idx)
        first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
        style = rng.integers(0, 3, n)
        initial = np.array([f[0] for f in first])
        local = np.where(
            style == 0,
            np.char.add(np.char.add(first, "."), last),
            np.where(
                style == 1, np.char.add(initial, last), np.char.add(first, np.arange(n).astype(str))
            ),
        )
        local = np.char.lower(local)
        free = rng.random(n) < self.cfg.free_mail_share
        free_local = np.char.add(
            np.char.lower(np.char.add(np.char.add(first, "."), last)), np.arange(n).astype(str)
        )
        email = np.where(
            free,
            np.char.add(np.char.add(free_local, "@"), rng.choice(FREE_MAIL, n)),
            np.char.add(np.char.add(local, "@"), acc.domain.to_numpy()[a_idx]),
        )
        self.t["persons"] = pd.DataFrame(
            {
                "person_id": np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), 9)),
                "account_idx": a_idx,
                "account_id": acc.account_id.to_numpy()[a_idx],
                "first_name": first,
                "last_name": last,
                "email": email,
                "is_free_mail": free,
                "title": rng.choice(
                    [
                        "VP Marketing",
                        "Head of Sales",
                        "CTO",
                        "Data Engineer",
                        "Operations Manager",
                        "CFO",
                        "Product Manager",
                        "Director IT",
                    ],
                    n,
                ),
                "visitor_id": _hex_ids(rng, "v_", n, 16),
                # a share of people is reached by marketing at all; the rest only by sales
                "engaged": rng.random(n) < 0.62,
            }
        )

    # ------------------------------------------------------------------------ campaigns
    def campaigns(self) -> None:
        """Ad campaigns per platform plus CRM campaigns (ads mirrors, emails, webinars, events)."""
        rng, extra = self.rng, self.cfg.accounts // 2500
        rows = []
        plan = [
            ("paid_search", "google", "SEARCH", 5 + extra, "gs"),
            ("display", "google", "DISPLAY", 2 + extra, "gd"),
            ("meta", "meta", "OUTCOME_LEADS", 4 + extra, "fb"),
            ("linkedin", "linkedin", "SPONSORED_UPDATES", 3 + extra, "li"),
        ]
        topics = [
            "brand",
            "competitor",
            "attribution",
            "revenue-ops",
            "pipeline",
            "analytics",
            "retargeting",
            "abm",
            "data-quality",
            "forecasting",
        ]
        for key, platform, ctype, n, short in plan:
            for i in range(n):
                topic = topics[(i + len(rows)) % len(topics)]
                rows.append(
                    {
                        "key": key,
                        "platform": platform,
                        "ad_type": ctype,
                        "utm_campaign": f"{short}_{topic}_{i + 1:02d}",
                        "name": f"{platform.title()} | {topic.replace('-', ' ').title()} "
                        f"{i + 1:02d}",
                        "cpc": CPC[key] * rng.uniform(0.7, 1.4),
                    }
                )
        ads = pd.DataFrame(rows)
        ads["currency"] = ads.platform.map({"google": "USD", "meta": "EUR", "linkedin": "USD"})
        ads["ad_campaign_id"] = np.where(
            ads.platform == "google",
            (21_000_000_000 + np.arange(len(ads)) * 137).astype(str),
            np.where(
                ads.platform == "meta",
                (23_850_000_000_000 + np.arange(len(ads))).astype(str),
                (180_000_000 + np.arange(len(ads)) * 11).astype(str),
            ),
        )
        self.t["ad_campaigns"] = ads

        months = pd.date_range(self.cfg.start, self.cfg.end, freq="MS")
        crm = []
        for r in ads.itertuples():  # CRM mirrors most ad campaigns (marketing practice)
            if rng.random() < 0.85:
                crm.append(
                    {
                        "type": "Advertisement",
                        "key": r.key,
                        "name": r.name,
                        "utm_campaign": r.utm_campaign,
                        "cost": None,
                        "ts": self.start,
                        "ad_campaign_id": r.ad_campaign_id,
                    }
                )
        for m in months:
            for j, topic in enumerate(["newsletter", "nurture"]):
                crm.append(
                    {
                        "type": "Email",
                        "key": "email",
                        "name": f"Email | {topic.title()} {m:%Y-%m}",
                        "utm_campaign": f"em_{topic}_{m:%Y%m}",
                        "cost": 250.0,
                        "ts": np.datetime64(m + pd.Timedelta(days=3 + 14 * j, hours=15), "s"),
                    }
                )
            crm.append(
                {
                    "type": "Webinar",
                    "key": "webinar",
                    "name": f"Webinar | {m:%B %Y}",
                    "utm_campaign": f"wb_{m:%Y%m}",
                    "cost": float(rng.integers(1, 5)) * 1000,
                    "ts": np.datetime64(m + pd.Timedelta(days=20, hours=16), "s"),
                }
            )
            if m.month % 3 == 1:
                crm.append(
                    {
                        "type": "Trade Show",
                        "key": "event",
                        "name": f"Trade Show | {m:%Y-%m}",
                        "utm_campaign": f"ev_{m:%Y%m}",
                        "cost": float(rng.integers(15, 60)) * 1000,
                        "ts": np.datetime64(m + pd.Timedelta(days=10, hours=9), "s"),
                    }
                )
        for topic in ["state-of-revops-report", "attribution-ebook", "pipeline-template"]:
            crm.append(
                {
                    "type": "Content",
                    "key": "content",
                    "name": f"Content | {topic}",
                    "utm_campaign": f"ct_{topic}",
                    "cost": 3000.0,
                    "ts": self.start,
                }
            )
        crm_df = pd.DataFrame(crm)
        crm_df["campaign_id"] = _ids("701", len(crm_df))
        crm_df["ts"] = crm_df["ts"].astype("datetime64[s]")
        self.t["crm_campaigns"] = crm_df

    # ------------------------------------------------------------------------- journeys
    def touches(self) -> None:
        """Anonymous pre-lead touches, the lead-creating touch, then nurture touches."""
        rng, p = self.rng, self.t["persons"]
        eng = np.flatnonzero(p.engaged.to_numpy())
        n = len(eng)
        t0 = self.start + _days(rng.uniform(0, self.span_days - 10, n))
        n_pre = rng.poisson(1.1, n)
        kind = rng.choice(3, n, p=[0.82, 0.08, 0.10])  # web form, trade show, webinar
        counts = n_pre + 1
        owner = np.repeat(eng, counts)
        gaps = rng.exponential(4.0, counts.sum())
        gaps[np.cumsum(counts) - counts] = 0.0
        at = np.repeat(t0, counts) + _days(_group_cumsum(gaps, counts))
        pre_keys = np.flatnonzero(PRE_W > 0)
        ch = rng.choice(pre_keys, counts.sum(), p=PRE_W[pre_keys] / PRE_W.sum())
        is_last = np.zeros(counts.sum(), bool)
        is_last[np.cumsum(counts) - 1] = True
        k_last = kind[np.searchsorted(np.cumsum(counts), np.arange(counts.sum()), side="right")]
        ch[is_last & (k_last == 1)] = CH["event"]
        ch[is_last & (k_last == 2)] = CH["webinar"]
        pre = pd.DataFrame(
            {"person_idx": owner, "ts": at, "ch": ch, "creates_lead": is_last, "phase": "pre"}
        )

        lead_at = at[is_last]
        person_lead = pd.DataFrame(
            {
                "person_idx": eng,
                "lead_at": lead_at,
                "first_ch": ch[np.cumsum(counts) - counts],
                "lead_ch": ch[is_last],
                "first_at": t0,
            }
        )
        person_lead = person_lead[person_lead.lead_at <= self.end].reset_index(drop=True)

        # nurture touches after lead creation
        m = len(person_lead)
        n_post = rng.poisson(1.6, m)
        owner2 = np.repeat(person_lead.person_idx.to_numpy(), n_post)
        gaps2 = rng.exponential(14.0, n_post.sum())
        at2 = np.repeat(person_lead.lead_at.to_numpy(), n_post) + _days(
            _group_cumsum(gaps2, n_post) + 0.5
        )
        keys = np.array([CH[k] for k in POST])
        ch2 = rng.choice(keys, n_post.sum(), p=np.array(list(POST.values())))
        post = pd.DataFrame(
            {"person_idx": owner2, "ts": at2, "ch": ch2, "creates_lead": False, "phase": "post"}
        )
        post = post[post.ts <= self.end]
        tt = pd.concat([pre, post], ignore_index=True)
        tt = tt[tt.ts <= self.end].sort_values(["person_idx", "ts"], kind="stable")
        self.t["touches"] = tt.reset_index(drop=True)
        self.t["person_lead"] = person_lead

    # ---------------------------------------------------------------------------- leads
    def leads(self) -> None:
        rng, pl, p = self.rng, self.t["person_lead"], self.t["persons"]
        n = len(pl)
        fc = pl.first_ch.to_numpy()
        lead_at = pl.lead_at.to_numpy().astype("datetime64[s]")
        mql_at = lead_at + _days(rng.exponential(1.5, n))
        is_mql = (rng.random(n) < P_MQL[fc]) & (mql_at <= self.end)
        followed = is_mql & (rng.random(n) < 0.8)
        sal_at = mql_at + _days(rng.exponential(0.9, n) + 0.05)
        followed &= sal_at <= self.end
        sql_at = sal_at + _days(rng.exponential(6.0, n) + 1)
        conv = followed & (rng.random(n) < P_CONV[fc]) & (sql_at + 2 * DAY <= self.end)
        conv_at = sql_at + _days(rng.exponential(2.0, n) + 0.2)
        conv &= conv_at <= self.end
        is_sql = conv | (followed & (rng.random(n) < 0.25) & (sql_at <= self.end))
        recent = (self.end - lead_at) < 30 * DAY
        r = rng.random(n)
        status = np.where(
            conv,
            "Qualified",
            np.where(
                is_sql,
                "Working - Contacted",
                np.where(
                    followed,
                    np.where(
                        r < 0.6,
                        "Unqualified",
                        np.where(r < 0.85, "Nurturing", "Working - Contacted"),
                    ),
                    np.where(
                        is_mql | recent,
                        "Open - Not Contacted",
                        np.where(r < 0.35, "Unqualified", "Nurturing"),
                    ),
                ),
            ),
        )
        junky = np.isin(fc, [CH["display"], CH["meta"]])
        reasons = np.where(
            junky,
            rng.choice(
                ["Student / Job Seeker", "Not a Fit", "Spam", "No Budget"],
                n,
                p=[0.35, 0.3, 0.2, 0.15],
            ),
            rng.choice(
                ["No Budget", "Not a Fit", "Competitor", "No Response", "Timing"],
                n,
                p=[0.25, 0.25, 0.15, 0.2, 0.15],
            ),
        )
        people = p.iloc[pl.person_idx.to_numpy()]
        source_map = {
            "paid_search": "Paid Search",
            "display": "Display",
            "meta": "Paid Social",
            "linkedin": "Paid Social",
            "organic_search": "Organic Search",
            "referral": "Partner Referral",
            "direct": "Web",
            "content": "Content",
            "event": "Trade Show",
            "webinar": "Webinar",
            "email": "Email",
        }
        leads = pd.DataFrame(
            {
                "lead_id": _ids("00Q", n),
                "person_idx": pl.person_idx.to_numpy(),
                "person_id": people.person_id.to_numpy(),
                "account_idx": people.account_idx.to_numpy(),
                "first_ch": fc,
                "lead_ch": pl.lead_ch.to_numpy(),
                "lead_source": pd.Series(CH_KEY[pl.lead_ch.to_numpy()]).map(source_map).to_numpy(),
                "owner_id": rng.choice(self.sdr, n),
                "created_at": lead_at,
                "mql_at": np.where(is_mql, mql_at, np.datetime64("NaT")),
                "sal_at": np.where(followed, sal_at, np.datetime64("NaT")),
                "sql_at": np.where(is_sql, sql_at, np.datetime64("NaT")),
                "converted_at": np.where(conv, conv_at, np.datetime64("NaT")),
                "is_converted": conv,
                "status": status,
                "disqualification_reason": np.where(status == "Unqualified", reasons, None),
                "phone": np.where(
                    rng.random(n) < 0.6,
                    np.char.add("+1 555 ", rng.integers(1000000, 9999999, n).astype(str)),
                    None,
                ),
                "is_duplicate": False,
            }
        )
        # duplicate leads: the same person fills a form again later and gets a second record
        dup = leads[(rng.random(n) < 0.04) & ~leads.is_converted.to_numpy()].copy()
        dup["created_at"] = dup.created_at + _days(rng.uniform(20, 200, len(dup)))
        dup = dup[dup.created_at <= self.end]
        for c in ["mql_at", "sal_at", "sql_at", "converted_at"]:
            dup[c] = np.datetime64("NaT")
        dup["status"], dup["disqualification_reason"] = "Open - Not Contacted", None
        dup["is_duplicate"] = True
        dup["lead_id"] = _ids("00Q", len(dup), start=n)
        self.t["leads"] = pd.concat([leads, dup], ignore_index=True)

    # -------------------------------------------------------- contacts and opportunities
    def opportunities(self) -> None:
        """Converted leads become contacts; an account's first open conversion opens a deal."""
        rng, p, acc = self.rng, self.t["persons"], self.t["accounts"]
        leads = self.t["leads"]
        conv = leads[leads.is_converted].sort_values(["account_idx", "converted_at"])
        contacts = pd.DataFrame(
            {
                "contact_id": _ids("003", len(conv)),
                "person_idx": conv.person_idx.to_numpy(),
                "lead_id": conv.lead_id.to_numpy(),
                "created_at": conv.converted_at.to_numpy(),
                "lead_source": conv.lead_source.to_numpy(),
                "owner_id": acc.owner_id.to_numpy()[conv.account_idx.to_numpy()],
            }
        )
        opps, roles = [], []
        open_until: dict[int, np.datetime64] = {}
        open_opp: dict[int, int] = {}
        conv_ch = conv.first_ch.to_numpy()
        for i, (a, at) in enumerate(
            zip(
                conv.account_idx.to_numpy(),
                conv.converted_at.to_numpy().astype("datetime64[s]"),
                strict=True,
            )
        ):
            if a in open_until and at <= open_until[a]:
                roles.append((open_opp[a], i, False))
                continue
            ch = conv_ch[i]
            expansion = a in open_until
            won_p = 0.55 if expansion else P_WIN[ch]
            cycle = max(7.0, rng.gamma(4.0, CYCLE[ch] / 4.0))
            amount = (6000 + 25 * min(acc.employees.iat[a], 3000)) * DEAL_X[ch]
            amount *= rng.lognormal(0, 0.35) * (0.5 if expansion else 1.0)
            opps.append(
                {
                    "account_idx": a,
                    "created_at": at,
                    "cycle": cycle,
                    "amount": round(amount / 100) * 100,
                    "won": rng.random() < won_p,
                    "type": "Expansion" if expansion else "New Business",
                    "source_lead_idx": i,
                    "first_ch": ch,
                    "sourced_by": "marketing",
                }
            )
            open_until[a] = at + _days(cycle + 30)
            open_opp[a] = len(opps) - 1
            roles.append((len(opps) - 1, i, True))
        # sales-sourced (outbound) deals at accounts marketing never converted
        persons_acc = p.groupby("account_idx").person_id.count()
        cold = np.setdiff1d(np.arange(len(acc)), conv.account_idx.unique())
        cold = cold[rng.random(len(cold)) < 0.1]
        quiet = p[~p.engaged]
        quiet_by_acc = quiet.groupby("account_idx").groups
        out_contacts = []
        for a in cold:
            members = quiet_by_acc.get(a)
            if members is None or len(members) == 0:
                continue
            at = self.start + _days(rng.uniform(60, self.span_days - 5))
            cycle = max(10.0, rng.gamma(4.0, 90 / 4.0))
            amount = (6000 + 25 * min(acc.employees.iat[a], 3000)) * rng.lognormal(0, 0.35)
            opps.append(
                {
                    "account_idx": a,
                    "created_at": at,
                    "cycle": cycle,
                    "amount": round(amount / 100) * 100,
                    "won": rng.random() < 0.22,
                    "type": "New Business",
                    "source_lead_idx": -1,
                    "first_ch": -1,
                    "sourced_by": "sales",
                }
            )
            for j, pi in enumerate(list(members)[: 1 + int(rng.integers(0, 2))]):
                out_contacts.append(
                    {
                        "person_idx": pi,
                        "created_at": at - _days(rng.uniform(7, 30)),
                        "opp": len(opps) - 1,
                        "primary": j == 0,
                    }
                )
        del persons_acc
        oc = pd.DataFrame(out_contacts)
        base = len(contacts)
        if len(oc):
            extra = pd.DataFrame(
                {
                    "contact_id": _ids("003", len(oc), start=base),
                    "person_idx": oc.person_idx.to_numpy(),
                    "lead_id": None,
                    "created_at": oc.created_at.to_numpy().astype("datetime64[s]"),
                    "lead_source": "Outbound",
                    "owner_id": acc.owner_id.to_numpy()[p.account_idx.to_numpy()[oc.person_idx]],
                }
            )
            contacts = pd.concat([contacts, extra], ignore_index=True)
            roles += [
                (o, base + k, pr) for k, (o, pr) in enumerate(zip(oc.opp, oc.primary, strict=True))
            ]
        o = pd.DataFrame(opps)
        n = len(o)
        o["opportunity_id"] = _ids("006", n)
        o["account_id"] = acc.account_id.to_numpy()[o.account_idx]
        o["currency"] = acc.currency.to_numpy()[o.account_idx]
        o["owner_id"] = acc.owner_id.to_numpy()[o.account_idx]
        o["created_at"] = o.created_at.astype("datetime64[s]")
        close_at = o.created_at.to_numpy() + _days(o.cycle)
        o["is_closed"] = close_at <= self.end
        o["close_at"] = np.where(o.is_closed, close_at, close_at)
        o["is_won"] = o.won & o.is_closed
        o["loss_reason"] = np.where(
            o.is_closed & ~o.won,
            rng.choice(["Price", "Competitor", "No Decision", "Timing", "Product Fit"], n),
            None,
        )
        self.t["opportunities"] = o
        contacts["person_id"] = p.person_id.to_numpy()[contacts.person_idx]
        contacts["account_id"] = p.account_id.to_numpy()[contacts.person_idx]
        self.t["contacts"] = contacts
        r = pd.DataFrame(roles, columns=["opp", "contact", "is_primary"])
        r["opportunity_id"] = o.opportunity_id.to_numpy()[r.opp]
        r["contact_id"] = contacts.contact_id.to_numpy()[r.contact]
        r["created_at"] = np.maximum(
            o.created_at.to_numpy()[r.opp], contacts.created_at.to_numpy()[r.contact]
        )
        r["role"] = np.where(
            r.is_primary,
            "Decision Maker",
            rng.choice(["Champion", "Evaluator", "Technical Buyer", "Economic Buyer"], len(r)),
        )
        r["role_id"] = _ids("00K", len(r))
        self.t["contact_roles"] = r
        # the converted lead points at the opportunity it created
        conv_opp = {
            int(x.source_lead_idx): x.opportunity_id
            for x in o.itertuples()
            if x.source_lead_idx >= 0
        }
        conv_contact = dict(zip(conv.lead_id, contacts.contact_id[: len(conv)], strict=True))
        lead_ids = conv.lead_id.to_numpy()
        leads["converted_contact_id"] = leads.lead_id.map(conv_contact)
        leads["converted_opportunity_id"] = leads.lead_id.map(
            {lead_ids[i]: oid for i, oid in conv_opp.items()}
        )
        self.t["leads"] = leads

    def stage_history(self) -> None:
        rng, o = self.rng, self.t["opportunities"]
        stages = [
            ("Prospecting", 10, 0.0),
            ("Qualification", 20, 0.15),
            ("Proposal", 50, 0.45),
            ("Negotiation", 75, 0.75),
        ]
        rows = []
        reach = rng.integers(1, 5, len(o))  # how far a lost deal got
        for k, (stage, prob, frac) in enumerate(stages):
            at = o.created_at.to_numpy() + _days(o.cycle.to_numpy() * frac)
            keep = (at <= self.end) & (
                (o.is_won.to_numpy()) | ~o.is_closed.to_numpy() | (reach > k)
            )
            rows.append(
                pd.DataFrame(
                    {
                        "opp": np.flatnonzero(keep),
                        "stage": stage,
                        "probability": prob,
                        "ts": at[keep],
                    }
                )
            )
        closed = np.flatnonzero(o.is_closed.to_numpy())
        rows.append(
            pd.DataFrame(
                {
                    "opp": closed,
                    "stage": np.where(o.is_won.to_numpy()[closed], "Closed Won", "Closed Lost"),
                    "probability": np.where(o.is_won.to_numpy()[closed], 100, 0),
                    "ts": o.close_at.to_numpy()[closed],
                }
            )
        )
        h = pd.concat(rows, ignore_index=True).sort_values(["opp", "ts"], kind="stable")
        h["opportunity_id"] = o.opportunity_id.to_numpy()[h.opp]
        h["amount"] = o.amount.to_numpy()[h.opp]
        h["close_date"] = o.close_at.to_numpy()[h.opp]
        h["history_id"] = _ids("008", len(h))
        self.t["stage_history"] = h.reset_index(drop=True)
        last = h.groupby("opp").tail(1).set_index("opp")
        o["stage"] = last.stage.reindex(range(len(o))).to_numpy()
        o["probability"] = last.probability.reindex(range(len(o))).to_numpy()
        o["updated_at"] = last["ts"].reindex(range(len(o))).to_numpy()

    # ------------------------------------------------------------------ sales activities
    def activities(self) -> None:
        rng, leads, o = self.rng, self.t["leads"], self.t["opportunities"]
        parts = []
        # SDR follow-up of accepted leads: the first activity is the SAL moment
        fol = leads[leads.sal_at.notna()]
        k = 1 + rng.poisson(1.5, len(fol))
        idx = np.repeat(np.arange(len(fol)), k)
        gaps = rng.exponential(3.0, k.sum())
        gaps[np.cumsum(k) - k] = 0
        at = fol.sal_at.to_numpy()[idx] + _days(_group_cumsum(gaps, k))
        who = np.where(
            fol.converted_at.notna().to_numpy()[idx] & (at > fol.converted_at.to_numpy()[idx]),
            fol.converted_contact_id.to_numpy()[idx],
            fol.lead_id.to_numpy()[idx],
        )
        parts.append(
            pd.DataFrame(
                {
                    "who_id": who,
                    "what_id": None,
                    "owner_id": fol.owner_id.to_numpy()[idx],
                    "ts": at,
                    "type": rng.choice(["Call", "Email"], len(idx), p=[0.6, 0.4]),
                    "person_idx": fol.person_idx.to_numpy()[idx],
                }
            )
        )
        # deal activities by the account executive
        roles = self.t["contact_roles"]
        primary = roles[roles.is_primary].drop_duplicates("opp").set_index("opp")
        k = rng.poisson(3.0, len(o))
        idx = np.repeat(np.arange(len(o)), k)
        frac = rng.uniform(0, 1, k.sum())
        at = o.created_at.to_numpy()[idx] + _days(o.cycle.to_numpy()[idx] * frac)
        contact_ids = primary.contact_id.reindex(idx).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "who_id": contact_ids,
                    "what_id": o.opportunity_id.to_numpy()[idx],
                    "owner_id": o.owner_id.to_numpy()[idx],
                    "ts": at,
                    "type": rng.choice(["Meeting", "Call", "Email"], len(idx), p=[0.4, 0.35, 0.25]),
                    "person_idx": -1,
                }
            )
        )
        # outbound prospecting before sales-sourced deals
        out = o[o.sourced_by == "sales"]
        k = 2 + rng.poisson(1.5, len(out))
        idx = np.repeat(np.arange(len(out)), k)
        # after the contacts were created (7-30 days before the deal)
        at = out.created_at.to_numpy()[idx] - _days(rng.uniform(1, 7, k.sum()))
        contact_ids = primary.contact_id.reindex(out.index[idx]).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "who_id": contact_ids,
                    "what_id": out.account_id.to_numpy()[idx],
                    "owner_id": rng.choice(self.sdr, len(idx)),
                    "ts": at,
                    "type": rng.choice(["Call", "Email"], len(idx)),
                    "person_idx": -1,
                }
            )
        )
        a = pd.concat(parts, ignore_index=True)
        a = a[(a.ts <= self.end) & a.who_id.notna()].sort_values("ts", kind="stable")
        a["activity_id"] = _ids("00T", len(a))
        subjects = {"Call": "Discovery call", "Email": "Follow-up", "Meeting": "Demo / review"}
        a["subject"] = a.type.map(subjects)
        a["duration"] = np.where(a.type == "Call", rng.integers(30, 1800, len(a)), None)
        self.t["activities"] = a.reset_index(drop=True)

    # ------------------------------------------------------------------ marketing records
    def marketing_records(self) -> None:
        """Turns touches into the records the tools keep: clicks, forms, members, email events."""
        rng, tt, p = self.rng, self.t["touches"], self.t["persons"]
        leads = self.t["leads"]
        first_lead = leads[~leads.is_duplicate].set_index("person_idx")
        ads, crm = self.t["ad_campaigns"], self.t["crm_campaigns"]
        key = CH_KEY[tt.ch.to_numpy()]
        n = len(tt)
        # every paid touch is an ad click on one of the platform's campaigns
        paid = np.isin(key, list(PAID))
        camp = np.full(n, -1)
        for k in PAID:
            m = key == k
            choices = np.flatnonzero(ads.key.to_numpy() == k)
            camp[m] = rng.choice(choices, m.sum())
        # a form is filled on the lead-creating touch, and after lead creation on content and
        # webinar touches and a share of ad clicks (before it, visits leave no form behind)
        post = tt.phase.to_numpy() == "post"
        form = (
            tt.creates_lead.to_numpy()
            | (post & np.isin(key, ["content", "webinar"]))
            | (paid & post & (rng.random(n) < 0.35))
        )
        tt = tt.assign(key=key, paid=paid, ad_campaign=camp, form=form)
        self.t["touches"] = tt
        # anonymous visitors: clicks that never become known people (volume, spend)
        n_anon = int(len(p) * self.cfg.anonymous_visitors_per_person)
        anon_keys = np.array(list(PAID))
        anon_w = np.array([PRE_W[CH[k]] for k in anon_keys])
        ak = rng.choice(anon_keys, n_anon, p=anon_w / anon_w.sum())
        acamp = np.empty(n_anon, int)
        for k in PAID:
            m = ak == k
            acamp[m] = rng.choice(np.flatnonzero(ads.key.to_numpy() == k), m.sum())
        anon_at = self.start + _days(rng.uniform(0, self.span_days, n_anon))
        clicks = (
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "ts": tt.ts[paid].to_numpy(),
                            "ad_campaign": camp[paid],
                            "person_idx": tt.person_idx[paid].to_numpy(),
                            "touch_idx": np.flatnonzero(paid),
                        }
                    ),
                    pd.DataFrame(
                        {"ts": anon_at, "ad_campaign": acamp, "person_idx": -1, "touch_idx": -1}
                    ),
                ],
                ignore_index=True,
            )
            .sort_values("ts", kind="stable")
            .reset_index(drop=True)
        )
        clicks["platform"] = ads.platform.to_numpy()[clicks.ad_campaign]
        clicks["click_id"] = ""
        for plat, pre in [("google", "Cj0KCQ"), ("meta", "IwAR"), ("linkedin", "li")]:
            m = clicks.platform.to_numpy() == plat
            clicks.loc[m, "click_id"] = _hex_ids(rng, pre, int(m.sum()), 28)
        self.t["clicks"] = clicks
        tclick = np.full(n, None, dtype=object)
        tclick[clicks.touch_idx[clicks.touch_idx >= 0].to_numpy()] = clicks.click_id[
            clicks.touch_idx >= 0
        ].to_numpy()

        # form submissions
        fi = np.flatnonzero(form)
        f = tt.iloc[fi]
        fk = key[fi]
        form_name = np.select(
            [fk == "webinar", fk == "event", fk == "content"],
            ["Webinar Registration", "Event Registration", "Content Download"],
            default=np.where(rng.random(len(fi)) < 0.5, "Demo Request", "Contact Us"),
        )
        crm_by_key = {k: g for k, g in crm.groupby("key")}
        utm_campaign = np.full(len(fi), None, dtype=object)
        crm_campaign = np.full(len(fi), None, dtype=object)
        for k in ["content", "webinar", "event"]:
            m = fk == k
            if m.any():
                g = crm_by_key[k]
                if k == "content":
                    pick = rng.integers(0, len(g), m.sum())
                else:  # the next webinar / trade show on or after the registration
                    when = g["ts"].to_numpy()
                    pick = np.searchsorted(when, f.ts.to_numpy()[m])
                upcoming = pick < len(g)  # registrations after the last event: none yet in CRM
                idx = np.flatnonzero(m)[upcoming]
                utm_campaign[idx] = g.utm_campaign.to_numpy()[pick[upcoming]]
                crm_campaign[idx] = g.campaign_id.to_numpy()[pick[upcoming]]
        fpaid = camp[fi] >= 0
        utm_campaign[fpaid] = ads.utm_campaign.to_numpy()[camp[fi][fpaid]]
        # campaign members from paid touches use the CRM mirror of the ad campaign
        mirror = crm.dropna(subset=["ad_campaign_id"]).set_index("utm_campaign").campaign_id
        crm_campaign[fpaid] = pd.Series(utm_campaign[fpaid]).map(mirror).to_numpy()
        person = f.person_idx.to_numpy()
        lead_of = first_lead.lead_id.reindex(person).to_numpy()
        self.t["forms"] = pd.DataFrame(
            {
                "touch_idx": fi,
                "person_idx": person,
                "ts": f.ts.to_numpy(),
                "key": fk,
                "form_name": form_name,
                "utm_campaign": utm_campaign,
                "crm_campaign_id": crm_campaign,
                "click_id": tclick[fi],
                "lead_id": lead_of,
                "submission_id": _hex_ids(rng, "fs_", len(fi), 20),
            }
        )
        # campaign members: webinar / trade-show registrations (attended or not)
        reg = self.t["forms"][np.isin(fk, ["webinar", "event"])]
        reg = reg[reg.crm_campaign_id.notna()]
        attended = rng.random(len(reg)) < 0.6
        self.t["event_members"] = reg.assign(attended=attended)
        self._email_events(first_lead)

    def _email_events(self, first_lead: pd.DataFrame) -> None:
        """Every email send goes to all known people created before it; few open, fewer click."""
        rng, crm = self.rng, self.t["crm_campaigns"]
        sends = crm[crm.key == "email"].sort_values("ts")
        known_at = first_lead.created_at.to_numpy().astype("datetime64[s]")
        order = np.argsort(known_at, kind="stable")
        sorted_at = known_at[order]
        parts = []
        for s in sends.itertuples():
            cut = np.searchsorted(sorted_at, np.datetime64(s.ts, "s"))
            who = order[:cut]
            # a share of recipients are not on this list (segmentation)
            who = who[rng.random(len(who)) < 0.7]
            parts.append(
                pd.DataFrame(
                    {
                        "lead_row": who,
                        "campaign_id": s.campaign_id,
                        "utm_campaign": s.utm_campaign,
                        "ts": np.datetime64(s.ts, "s"),
                    }
                )
            )
        e = (
            pd.concat(parts, ignore_index=True)
            if parts
            else pd.DataFrame(columns=["lead_row", "campaign_id", "utm_campaign", "ts"])
        )
        n = len(e)
        e["person_idx"] = first_lead.index.to_numpy()[e.lead_row]
        e["lead_id"] = first_lead.lead_id.to_numpy()[e.lead_row]
        conv_at = first_lead.converted_at.to_numpy()[e.lead_row]
        contact = first_lead.converted_contact_id.to_numpy()[e.lead_row]
        e["recipient_id"] = np.where(
            pd.notna(conv_at) & (conv_at < e["ts"].to_numpy()), contact, e.lead_id.to_numpy()
        )
        quality = P_MQL[first_lead.first_ch.to_numpy()[e.lead_row]]
        e["bounced"] = rng.random(n) < 0.02
        e["opened"] = ~e.bounced & (rng.random(n) < 0.22 + 0.2 * quality)
        e["clicked"] = e.opened & (rng.random(n) < 0.12 + 0.2 * quality)
        e["open_at"] = e["ts"] + _days(rng.exponential(0.6, n))
        e["click_at"] = e.open_at + _days(rng.exponential(0.02, n))
        e = e[e.click_at <= self.end] if n else e
        self.t["email_sends"] = e.reset_index(drop=True)

    # ------------------------------------------------------------------------- billing
    def billing(self) -> None:
        rng, o, acc = self.rng, self.t["opportunities"], self.t["accounts"]
        won = o[o.is_won & (o.close_at + 5 * DAY <= self.end)]
        first_win = won.sort_values("close_at").drop_duplicates("account_idx")
        p = self.t["persons"]
        roles = self.t["contact_roles"]
        contacts = self.t["contacts"]
        prim = roles[roles.is_primary].drop_duplicates("opp").set_index("opp").contact
        prim_person = contacts.person_idx.to_numpy()[prim.reindex(first_win.index).to_numpy()]
        n = len(first_win)
        a = first_win.account_idx.to_numpy()
        r = rng.random(n)
        domain = acc.domain.to_numpy()[a]
        email = np.where(
            r < 0.45,
            p.email.to_numpy()[prim_person],
            np.where(
                r < 0.8,
                np.char.add("billing@", domain.astype(str)),
                np.char.add("ap@", domain.astype(str)),
            ),
        )
        cust = pd.DataFrame(
            {
                "customer_id": _hex_ids(rng, "cus_", n, 14),
                "account_idx": a,
                "account_id": acc.account_id.to_numpy()[a],
                "name": acc.name.to_numpy()[a],
                "email": email,
                "currency": np.char.lower(acc.currency.to_numpy()[a].astype(str)),
                "created_at": first_win.close_at.to_numpy() + _days(rng.uniform(0, 4, n)),
                "has_crm_id": rng.random(n) < 0.6,
                "self_serve": False,
            }
        )
        # self-serve sign-ups the CRM never saw (small, monthly, often free-mail)
        m = max(3, n // 8)
        ss_free = rng.random(m) < 0.6
        ss_dom = np.char.add(
            np.char.add(rng.choice(WORDS, m), "-shop"), np.char.add(np.arange(m).astype(str), ".io")
        )
        ss_email = np.where(
            ss_free,
            np.char.add(
                np.char.add("founder", np.arange(m).astype(str)),
                np.char.add("@", rng.choice(FREE_MAIL, m)),
            ),
            np.char.add("hello@", ss_dom),
        )
        ss = pd.DataFrame(
            {
                "customer_id": _hex_ids(rng, "cus_", m, 14),
                "account_idx": -1,
                "account_id": None,
                "name": np.char.add("Self-serve ", np.arange(m).astype(str)),
                "email": ss_email,
                "currency": rng.choice(["usd", "eur", "gbp"], m, p=[0.6, 0.25, 0.15]),
                "created_at": self.start + _days(rng.uniform(0, self.span_days - 5, m)),
                "has_crm_id": False,
                "self_serve": True,
            }
        )
        cust = pd.concat([cust, ss], ignore_index=True)
        cust["acv"] = np.concatenate(
            [first_win.amount.to_numpy(), rng.choice([588.0, 1188.0, 2388.0], m)]
        )
        cust["yearly"] = np.concatenate([rng.random(n) < 0.35, np.zeros(m, bool)])
        self.t["customers"] = cust

        # one subscription per customer; invoices every period until cancellation or the end
        k = len(cust)
        start = cust.created_at.to_numpy().astype("datetime64[s]")
        canceled = rng.random(k) < 0.15
        cancel_at = start + _days(rng.uniform(40, 400, k))
        canceled &= cancel_at <= self.end
        subs = cust[["customer_id", "currency", "acv", "yearly"]].assign(
            subscription_id=_hex_ids(rng, "sub_", k, 14),
            start_at=start,
            cancel_at=np.where(canceled, cancel_at, np.datetime64("NaT")),
            price_id=_hex_ids(rng, "price_", k, 14),
        )
        subs["unit_amount"] = np.where(
            subs.yearly, subs.acv * 100, np.round(subs.acv * 100 / 12)
        ).astype("int64")
        self.t["subscriptions"] = subs
        period_days = np.where(subs.yearly, 365.0, 30.4375)
        stop = np.where(canceled, cancel_at, self.end)
        n_inv = np.floor((stop - start) / DAY / period_days).astype(int) + 1
        idx = np.repeat(np.arange(k), n_inv)
        j = np.arange(n_inv.sum()) - np.repeat(np.cumsum(n_inv) - n_inv, n_inv)
        p_start = start[idx] + _days(j * period_days[idx])
        inv = pd.DataFrame(
            {
                "invoice_id": _hex_ids(rng, "in_", len(idx), 20),
                "sub": idx,
                "customer_id": subs.customer_id.to_numpy()[idx],
                "subscription_id": subs.subscription_id.to_numpy()[idx],
                "currency": subs.currency.to_numpy()[idx],
                "period_start": p_start,
                "period_end": p_start + _days(period_days[idx]),
                "base_amount": subs.unit_amount.to_numpy()[idx],
            }
        )
        setup = (j == 0) & (rng.random(len(idx)) < 0.2)
        inv["setup_amount"] = np.where(setup, 50_000, 0)
        inv["total"] = inv.base_amount + inv.setup_amount
        r = rng.random(len(inv))
        latest = j == n_inv[idx] - 1
        inv["status"] = np.where(
            latest & (r < 0.25),
            "open",
            np.where(r < 0.02, "uncollectible", np.where(r < 0.035, "void", "paid")),
        )
        inv["paid_at"] = np.where(
            inv.status == "paid",
            p_start + _days(rng.exponential(2.0, len(inv))),
            np.datetime64("NaT"),
        )
        inv = inv[inv.period_start <= self.end]
        inv = inv[(inv.status != "paid") | (inv.paid_at <= self.end)]
        self.t["invoices"] = inv.reset_index(drop=True)

        # charges: a success per paid invoice, sometimes after a failure; failures for bad debt
        paid = inv[inv.status == "paid"]
        failed_first = rng.random(len(paid)) < 0.05
        bad = inv[inv.status == "uncollectible"]
        ch = (
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "invoice_id": paid.invoice_id,
                            "customer_id": paid.customer_id,
                            "amount": paid.total,
                            "currency": paid.currency,
                            "ts": paid.paid_at.to_numpy(),
                            "ok": True,
                        }
                    ),
                    pd.DataFrame(
                        {
                            "invoice_id": paid.invoice_id[failed_first],
                            "customer_id": paid.customer_id[failed_first],
                            "amount": paid.total[failed_first],
                            "currency": paid.currency[failed_first],
                            "ts": paid.paid_at.to_numpy()[failed_first] - 2 * DAY,
                            "ok": False,
                        }
                    ),
                    pd.DataFrame(
                        {
                            "invoice_id": bad.invoice_id,
                            "customer_id": bad.customer_id,
                            "amount": bad.total,
                            "currency": bad.currency,
                            "ts": bad.period_start.to_numpy() + DAY,
                            "ok": False,
                        }
                    ),
                ],
                ignore_index=True,
            )
            .sort_values("ts", kind="stable")
            .reset_index(drop=True)
        )
        ch["charge_id"] = _hex_ids(rng, "ch_", len(ch), 20)
        ch["failure_code"] = np.where(
            ch.ok,
            None,
            rng.choice(["card_declined", "insufficient_funds", "expired_card"], len(ch)),
        )
        refund = ch.ok & (rng.random(len(ch)) < 0.03)
        full = rng.random(len(ch)) < 0.4
        ch["refund_amount"] = np.where(
            refund,
            np.where(
                full,
                ch.amount,
                (ch.amount * rng.uniform(0.1, 0.6, len(ch))).round().astype("int64"),
            ),
            0,
        )
        ch["refund_at"] = ch["ts"] + _days(rng.uniform(1, 30, len(ch)))
        ch.loc[ch.refund_at > self.end, "refund_amount"] = 0
        self.t["charges"] = ch
        rf = ch[ch.refund_amount > 0]
        self.t["refunds"] = pd.DataFrame(
            {
                "refund_id": _hex_ids(rng, "re_", len(rf), 20),
                "charge_id": rf.charge_id,
                "amount": rf.refund_amount,
                "currency": rf.currency,
                "ts": rf.refund_at,
                "reason": rng.choice(
                    ["requested_by_customer", "duplicate", "fraudulent"],
                    len(rf),
                    p=[0.8, 0.15, 0.05],
                ),
            }
        ).reset_index(drop=True)

    def build(self) -> dict[str, pd.DataFrame]:
        for step in (
            self.users,
            self.accounts,
            self.persons,
            self.campaigns,
            self.touches,
            self.leads,
            self.opportunities,
            self.stage_history,
            self.activities,
            self.marketing_records,
            self.billing,
        ):
            step()
        return self.t


def simulate(cfg: WorldConfig) -> dict[str, pd.DataFrame]:
    """Build the whole world for ``cfg``; deterministic for a given config."""
    return _World(cfg).build()
