"""The marketing channels of the simulated company and how they differ in quality.

The world stores a channel as its index in ``CHANNELS`` (columns ``ch`` and ``first_ch``);
``CH`` maps a channel key to that index and ``CHANNEL_COLUMNS`` looks up a field for many
indexes at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class Channel:
    """One way people reach the company, with the quality of the leads and deals it brings."""

    key: str  # the world's name of the channel
    channel: str  # reporting channel
    sub_channel: str  # reporting sub-channel
    pre_lead_weight: float  # share of the anonymous touches before a lead (0: never)
    p_mql: float  # P(a lead from this channel becomes an MQL)
    p_convert: float  # P(a followed-up MQL converts)
    p_win: float  # P(the deal it sources is won)
    cycle_days: int  # mean length of the sales cycle
    deal_multiplier: float  # deal size relative to the average


CHANNELS: tuple[Channel, ...] = (
    Channel("paid_search", "paid_search", "google_search", 0.24, 0.45, 0.40, 0.30, 60, 1.0),
    Channel("display", "display", "google_display", 0.08, 0.18, 0.20, 0.18, 75, 0.8),
    Channel("meta", "paid_social", "meta", 0.16, 0.25, 0.22, 0.18, 70, 0.7),
    Channel("linkedin", "paid_social", "linkedin", 0.10, 0.50, 0.42, 0.32, 80, 1.4),
    Channel("organic_search", "organic_search", "google", 0.18, 0.40, 0.38, 0.30, 65, 1.0),
    Channel("referral", "referral", "partner", 0.06, 0.65, 0.55, 0.45, 50, 1.2),
    Channel("direct", "direct", "direct", 0.08, 0.45, 0.40, 0.33, 60, 1.0),
    Channel("content", "content", "blog", 0.10, 0.30, 0.28, 0.25, 70, 0.9),
    Channel("email", "email", "marketing_email", 0.0, 0.30, 0.30, 0.25, 65, 1.0),
    Channel("event", "events_webinars", "trade_show", 0.0, 0.60, 0.48, 0.38, 55, 1.3),
    Channel("webinar", "events_webinars", "webinar", 0.0, 0.50, 0.38, 0.30, 60, 1.1),
)
CH: dict[str, int] = {channel.key: index for index, channel in enumerate(CHANNELS)}


@dataclass(frozen=True)
class ChannelColumns:
    """Every ``Channel`` field as an array in ``CHANNELS`` order: ``.p_mql[channel_index]``."""

    key: np.ndarray
    channel: np.ndarray
    sub_channel: np.ndarray
    pre_lead_weight: np.ndarray
    p_mql: np.ndarray
    p_convert: np.ndarray
    p_win: np.ndarray
    cycle_days: np.ndarray
    deal_multiplier: np.ndarray

    @classmethod
    def of(cls, channels: tuple[Channel, ...]) -> ChannelColumns:
        return cls(
            **{
                field.name: np.array([getattr(channel, field.name) for channel in channels])
                for field in fields(Channel)
            }
        )


CHANNEL_COLUMNS = ChannelColumns.of(CHANNELS)

# channels whose touches are ad clicks
PAID_CHANNELS = ("paid_search", "display", "meta", "linkedin")
# mean cost per click in the platform currency (typical B2B costs: search and LinkedIn are dear)
COST_PER_CLICK = {"paid_search": 9.5, "display": 2.0, "meta": 3.0, "linkedin": 11.0}
# post-lead (nurture) touch mix; email touches come from email sends, not from this draw
NURTURE_MIX = {"paid_search": 0.2, "meta": 0.15, "linkedin": 0.15, "content": 0.25, "webinar": 0.25}
