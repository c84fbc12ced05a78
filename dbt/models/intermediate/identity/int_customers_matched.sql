{#-
    Billing customers tied to CRM accounts: the CRM account id sales put into the customer's
    metadata first (when that account exists), then the customer's email domain when it is a
    business domain that exactly one account uses (free-mail addresses never match by domain),
    then the company name: the normalised name (macro normalize_company_name: case, spacing,
    punctuation and legal suffixes such as Inc, LLC, Ltd, GmbH, SA, BV ignored) when exactly one
    account and exactly one customer the first two rules left unmatched carry it. An ambiguous
    name (two accounts, or two such customers) never matches.
-#}

with

customers as (

    select * from {{ ref('stg_billing__customers') }}

),

accounts as (

    select
        *,
        {{ normalize_company_name('account_name') }} as company_name
    from {{ ref('stg_crm__accounts') }}
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

account_names as (

    select
        company_name,
        min(account_id) as account_id
    from accounts
    where company_name is not null
    group by company_name
    having count(*) = 1

),

-- rules 1 and 2: the CRM id in the metadata, then the unique business email domain
matched as (

    select
        customers.*,
        {{ normalize_company_name('customers.customer_name') }} as company_name,
        by_id.account_id as account_id_by_metadata,
        by_domain.account_id as account_id_by_domain
    from customers
    left join accounts as by_id
        on customers.crm_account_id = by_id.account_id
    left join account_domains as by_domain
        on customers.email_domain = by_domain.website_domain
        and customers.email_domain not in (select free_mail.email_domain from free_mail)

),

-- rule 3: customers still unmatched, by normalised name, when the name is theirs alone
unmatched_names as (

    select
        company_name,
        min(customer_id) as customer_id
    from matched
    where account_id_by_metadata is null
        and account_id_by_domain is null
        and company_name is not null
    group by company_name
    having count(*) = 1

),

by_name as (

    select
        unmatched_names.customer_id,
        account_names.account_id
    from unmatched_names
    inner join account_names
        on unmatched_names.company_name = account_names.company_name

),

final as (

    select
        -- ids
        customers.customer_id,
        coalesce(
            customers.account_id_by_metadata,
            customers.account_id_by_domain,
            by_name.account_id
        ) as account_id,

        -- strings
        customers.customer_name,
        customers.email,
        customers.email_domain,
        customers.currency,
        case
            when customers.account_id_by_metadata is not null then 'crm_id_in_metadata'
            when customers.account_id_by_domain is not null then 'email_domain'
            when by_name.account_id is not null then 'company_name'
            when customers.email_domain in (select free_mail.email_domain from free_mail)
                then 'unmatched_free_mail'
            else 'unmatched'
        end as account_match_rule,

        -- booleans
        customers.crm_account_id is not null and customers.account_id_by_metadata is null
            as has_unknown_crm_id,

        -- timestamps
        customers.created_at

    from matched as customers
    left join by_name
        on customers.customer_id = by_name.customer_id

)

select * from final
