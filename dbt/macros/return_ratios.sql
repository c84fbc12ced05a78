{#- The return ratios of marketing_return and marketing_return_by_channel, from the columns
    spend_amount, leads, opportunities, won_deals, pipeline_amount, bookings_amount and
    billed_revenue_amount of `relation`. A division by zero is null, never an error, and so is a
    cost ratio (cost per lead, per opportunity, CAC) or payback of a channel without spend: a
    channel that spent nothing has no cost per result (n/a), not a cost of zero. Payback
    months: spend over the monthly recurring revenue of the won deals (bookings spread over
    `contract_months`). Cost ratios are rounded half away from zero on both engines
    (round_double). -#}
{% macro return_ratios(relation, contract_months) -%}
    cast({{ round_double('cast(nullif(' ~ relation ~ '.spend_amount, 0) as double) / nullif(' ~ relation ~ '.leads, 0)', 2) }} as decimal(18, 2))
            as cost_per_lead,
        cast({{ round_double('cast(nullif(' ~ relation ~ '.spend_amount, 0) as double) / nullif(' ~ relation ~ '.opportunities, 0)', 2) }} as decimal(18, 2))
            as cost_per_opportunity,
        cast({{ round_double('cast(nullif(' ~ relation ~ '.spend_amount, 0) as double) / nullif(' ~ relation ~ '.won_deals, 0)', 2) }} as decimal(18, 2))
            as cac,
        cast({{ relation }}.pipeline_amount as double) / nullif({{ relation }}.spend_amount, 0)
            as roas_pipeline,
        cast({{ relation }}.bookings_amount as double) / nullif({{ relation }}.spend_amount, 0)
            as roas_bookings,
        cast({{ relation }}.billed_revenue_amount as double)
            / nullif({{ relation }}.spend_amount, 0) as roas_billed_revenue,
        cast(nullif({{ relation }}.spend_amount, 0) as double)
            / nullif(cast({{ relation }}.bookings_amount as double) / {{ contract_months }}, 0)
            as payback_months
{%- endmacro %}


{#- The sum of fractional credits (doubles), each rounded to 12 decimals, as an exact decimal.
    A credit's last bits, and a sum of doubles, depend on the order rows were combined in, which
    differs between two builds of the same data (e.g. from files and from APIs): 0.8 in one is
    0.7999999999999998 in the other, and a cost ratio rounded to the cent can flip on it. -#}
{% macro exact_sum(expression) -%}
    sum(cast(round({{ expression }}, 12) as decimal(38, 12)))
{%- endmacro %}
