{#- How well identity resolution worked: for every kind of record, how many were tied to a
    person and to an account, and by which rule; for billing customers, how many (and how much
    revenue) map to a CRM account. -#}

with

links as (

    select * from {{ ref('int_person_records_linked') }}

),

persons as (

    select
        person_key,
        account_id
    from {{ ref('int_persons_resolved') }}

),

person_rules as (

    select
        'person' as identity,
        links.record_type,
        links.match_rule,
        count(*) as records,
        count(persons.account_id) as records_with_account,
        cast(null as decimal(18, 2)) as billed_amount
    from links
    left join persons
        on links.person_key = persons.person_key
    group by all

),

customer_rules as (

    select
        'account' as identity,
        'billing_customer' as record_type,
        account_match_rule as match_rule,
        count(*) as records,
        count(account_id) as records_with_account,
        sum(billed_amount) as billed_amount
    from {{ ref('customer_revenue') }}
    group by all

),

unioned as (

    select * from person_rules
    union all
    select * from customer_rules

),

final as (

    select
        -- ids
        {{ dbt.concat(["identity", "':'", "record_type", "':'", "match_rule"]) }}
            as match_rate_key,

        -- strings
        identity,
        record_type,
        match_rule,

        -- numerics
        records,
        records_with_account,
        sum(records) over (partition by identity, record_type) as records_of_type,
        {{ round_double('records / sum(records) over (partition by identity, record_type)', 4) }}
            as share_of_type,
        billed_amount,
        {{ round_double(
            'cast(billed_amount as double) / cast(sum(billed_amount) over (partition by identity, record_type) as double)', 4
        ) }}
            as share_of_billed_amount,

        -- booleans
        match_rule not like 'unmatched%' as is_matched

    from unioned

)

select * from final
