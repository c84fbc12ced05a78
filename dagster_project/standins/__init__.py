"""Local stand-ins for the five source APIs (Salesforce, Stripe, Google Ads, Meta, LinkedIn),
answering on 127.0.0.1 in the published response shapes from the generated sample world, so the
whole pipeline runs from APIs on a machine without internet (``rjw run --api-standins``) and the
tests can make the APIs page, throttle, fail and expire tokens. Depends only on ``lib``."""
