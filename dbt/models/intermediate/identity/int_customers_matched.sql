{#-
    Billing customers tied to CRM accounts: the CRM account id sales put into the customer's
    metadata first (when that account exists), then the customer's email domain when it is a
    business domain that exactly one account uses. Free-mail addresses never match by domain.
-#}

with

customers as (

    select * from {{ ref('stg_billing__customers') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}
    where not coalesce(is_deleted, false)

),

free_mail as (

    select email_domain from {{ ref('free_email_domains') }}

),

account_domains as (

    select
        website_domain,
        min(account_id) as account_id
    from accounts
    where website_domain is not null
    group by website_domain
    having count(*) = 1

),

final as (

    select
        -- ids
        customers.customer_id,
        coalesce(by_id.account_id, by_domain.account_id) as account_id,

        -- strings
        customers.customer_name,
        customers.email,
        customers.email_domain,
        customers.currency,
        case
            when by_id.account_id is not null then 'crm_id_in_metadata'
            when by_domain.account_id is not null then 'email_domain'
            when customers.email_domain in (select free_mail.email_domain from free_mail)
                then 'unmatched_free_mail'
            else 'unmatched'
        end as account_match_rule,

        -- booleans
        customers.crm_account_id is not null and by_id.account_id is null
            as has_unknown_crm_id,

        -- timestamps
        customers.created_at

    from customers
    left join accounts as by_id
        on customers.crm_account_id = by_id.account_id
    left join account_domains as by_domain
        on customers.email_domain = by_domain.website_domain
        and customers.email_domain not in (select free_mail.email_domain from free_mail)

)

select * from final
