process MIRQ_MERGE {
    tag "$meta.id"
    label 'process_low'

    // mirq is not on Bioconda / BioContainers yet: with -profile conda or a
    // container profile, point these at your own build (see the README,
    // Nextflow); without a profile the task runs the mirq found on PATH.
    conda "${moduleDir}/environment.yml"
    container "mirq:0.1.0"

    input:
    // output directories of MIRQ_QUANT, in the column order wanted; staged
    // under quant/ so that no sample's directory can meet the output's name
    tuple val(meta), path(dirs, stageAs: 'quant/*')
    // the reference the quant tasks used (checked against their fingerprint)
    path mature
    path hairpin

    output:
    tuple val(meta), path("${prefix}")                      , emit: results
    tuple val(meta), path("${prefix}/mature_counts.tsv")    , emit: counts
    tuple val(meta), path("${prefix}/*.tsv")                , emit: tables
    tuple val(meta), path("${prefix}/stats.json")           , emit: stats
    tuple val(meta), path("${prefix}/multiqc/*_mqc.json")   , emit: multiqc, optional: true
    path "versions.yml"                                     , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    def hairpin_arg = hairpin ? "--hairpin ${hairpin}" : ''
    """
    mirq \\
        merge \\
        $args \\
        --threads $task.cpus \\
        --mature ${mature} \\
        ${hairpin_arg} \\
        ${dirs} \\
        -o ${prefix}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        mirq: \$(mirq --version | sed 's/^mirq //')
    END_VERSIONS
    """

    stub:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo $args
    mkdir -p ${prefix}/multiqc
    for table in mature_counts mature_counts_unique mature_rpm hairpin_counts; do
        touch ${prefix}/\$table.tsv
    done
    touch ${prefix}/stats.json
    for section in general_stats insert_lengths composition; do
        touch ${prefix}/multiqc/mirq_\${section}_mqc.json
    done

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        mirq: \$(mirq --version | sed 's/^mirq //')
    END_VERSIONS
    """
}
