with

source as (

    select * from {{ source('meta', 'load_manifest') }}

),

renamed as (

    select
        -- ids
        load_id,
        {{ dbt.concat(["table_name", "':'", "source_uri"]) }} as file_key,

        -- strings
        table_name,
        source_uri,
        sha256,
        status as load_status,

        -- numerics
        size_bytes,
        rows_received,
        rows_loaded,
        rows_rejected,

        -- timestamps
        loaded_at

    from source

),

deduplicated as (

    -- the newest load of a file is its current state (a changed file is reloaded)
    select *
    from renamed
    qualify row_number() over (partition by file_key order by load_id desc) = 1

)

select * from deduplicated
