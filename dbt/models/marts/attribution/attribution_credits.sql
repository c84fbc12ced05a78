{#-
    Rule-based multi-touch attribution: one row per conversion x eligible touch x model, with
    the touch's credit fraction and credited amount (reporting currency).

    Eligible touches are the attributed marketing touches of the opportunity's journey
    (journey_touches: its people's touches; account influence only with
    `journey_account_based`) at or before the conversion. Models: first_touch, last_touch,
    last_non_direct (the last touch whose channel is not direct; the last touch if all are
    direct), linear, time_decay (weight 0.5 ^ (age / half-life), var
    attribution_half_life_days), u_shaped (first touch and lead-creation touch: the source
    person's last touch at or before their first lead), w_shaped (+ opportunity-creation
    touch) and full_path (+ closed-won touch), with role weights from dbt vars. A touch
    holding several roles gets their sum; the share of "the touches in between" is split
    evenly among touches that hold no role; weights of roles no touch holds (e.g. no lead, or
    no touch in between) are redistributed pro rata by normalising. Ties in time are ordered
    by the journey sequence (then touch id).

    Credited amounts are rounded to the cent with the largest-remainder method, so they add up
    to the conversion amount exactly. A conversion without an eligible touch gets one row per
    model in the '(no marketing touch)' bucket instead of vanishing.
-#}

{%- set deal_roles = ['first', 'lead_creation', 'opportunity_creation', 'closed_won'] %}
{%- set models = attribution_weights(deal_roles) %}

with

conversions as (

    select * from {{ ref('int_conversions_unioned') }}

),

milestones as (

    select
        opportunity_id,
        lead_created_at,
        opportunity_created_at,
        won_at
    from {{ ref('opportunity_journeys') }}

),

eligible as (

    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.opportunity_id,
        conversions.converted_at,
        conversions.conversion_amount,
        journey.touchpoint_id,
        journey.touch_sequence,
        journey.touched_at,
        journey.channel,
        journey.sub_channel,
        journey.crm_campaign_id,
        journey.ad_campaign_key,
        journey.is_source_person_touch,
        milestones.lead_created_at,
        milestones.opportunity_created_at,
        case when conversions.conversion_type <> 'pipeline' then milestones.won_at end
            as won_at
    from conversions
    inner join {{ ref('journey_touches') }} as journey
        on conversions.opportunity_id = journey.opportunity_id
        and journey.is_attributed
        and journey.is_marketing_touch
        and conversions.converted_at >= journey.touched_at
    inner join milestones
        on conversions.opportunity_id = milestones.opportunity_id

),

positioned as (

    select
        *,
        row_number() over (
            partition by conversion_id order by touched_at, touch_sequence, touchpoint_id
        ) as position
    from eligible

),

{{ attribution_weighted_ctes(
    'positioned',
    'conversion_id',
    {
        'lead_creation': 'is_source_person_touch and touched_at <= lead_created_at',
        'opportunity_creation': 'touched_at <= opportunity_created_at',
        'closed_won': 'touched_at <= won_at',
    },
    'converted_at',
) }},

fractions as (

    select
        *,
        raw_weight / sum(raw_weight) over (partition by conversion_id, attribution_model)
            as credit_fraction
    from weighted

),

-- cents by the largest-remainder method: the floors, then one more cent for the largest
-- remainders until the conversion amount is reached exactly. The exact share is rounded to a
-- millionth of a cent first: fractions are floating-point sums whose last bits depend on the
-- order the threads added them, and unrounded they flip floors and ties between rebuilds.
exact_cents as (

    select
        *,
        cast(round(abs(conversion_amount) * 100) as bigint) as amount_cents,
        {{ round_double('round(abs(conversion_amount) * 100) * credit_fraction', 6) }}
            as share_cents
    from fractions

),

cents as (

    select
        *,
        floor(share_cents) as floor_cents,
        {{ round_double('share_cents - floor(share_cents)', 6) }} as remainder_cents
    from exact_cents

),

allocated as (

    select
        *,
        amount_cents - sum(floor_cents) over (partition by conversion_id, attribution_model)
            as leftover_cents,
        row_number() over (
            partition by conversion_id, attribution_model
            order by remainder_cents desc, position asc
        ) as remainder_rank
    from cents

),

touched as (

    select
        conversion_id,
        conversion_type,
        opportunity_id,
        attribution_model,
        touchpoint_id,
        position as touch_position,
        eligible_touches,
        touched_at,
        channel,
        sub_channel,
        crm_campaign_id,
        ad_campaign_key,
        credit_fraction,
        sign(conversion_amount) * (
            floor_cents + case when remainder_rank <= leftover_cents then 1 else 0 end
        ) / 100.0 as credited_amount,
        conversion_amount,
        converted_at
    from allocated

),

untouched as (

    {%- for model in models %}
    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.opportunity_id,
        '{{ model }}' as attribution_model,
        cast(null as string) as touchpoint_id,
        cast(null as bigint) as touch_position,
        0 as eligible_touches,
        cast(null as timestamp) as touched_at,
        '(no marketing touch)' as channel,
        '(no marketing touch)' as sub_channel,
        cast(null as string) as crm_campaign_id,
        cast(null as string) as ad_campaign_key,
        1.0 as credit_fraction,
        conversions.conversion_amount as credited_amount,
        conversions.conversion_amount,
        conversions.converted_at
    from conversions
    where conversions.conversion_id not in (select eligible.conversion_id from eligible)
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        -- ids
        {{ dbt.concat([
            "conversion_id", "':'", "attribution_model", "':'",
            "coalesce(touchpoint_id, '(no marketing touch)')"
        ]) }} as attribution_credit_id,
        conversion_id,
        opportunity_id,
        touchpoint_id,
        crm_campaign_id,
        ad_campaign_key,

        -- strings
        conversion_type,
        attribution_model,
        channel,
        sub_channel,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
        touch_position,
        eligible_touches,
        cast(credit_fraction as double) as credit_fraction,
        cast(credited_amount as decimal(18, 2)) as credited_amount,
        conversion_amount,

        -- timestamps
        touched_at,
        converted_at

    from (
        select * from touched
        union all
        select * from untouched
    ) as credited

)

select * from final
