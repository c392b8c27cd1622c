process MIRQ_QUANT {
    tag "$meta.id"
    label 'process_medium'

    // mirq is not on Bioconda / BioContainers yet: with -profile conda or a
    // container profile, point these at your own build (see the README,
    // Nextflow); without a profile the task runs the mirq found on PATH.
    conda "${moduleDir}/environment.yml"
    container "mirq:0.1.0"

    input:
    tuple val(meta), path(reads)
    path mature
    path hairpin
    val species

    output:
    tuple val(meta), path("${prefix}")                      , emit: results
    tuple val(meta), path("${prefix}/mature_counts.tsv")    , emit: counts
    tuple val(meta), path("${prefix}/*.tsv")                , emit: tables
    tuple val(meta), path("${prefix}/collapsed/*.fa")       , emit: collapsed
    tuple val(meta), path("${prefix}/qc/*.length.tsv")      , emit: lengths
    tuple val(meta), path("${prefix}/stats.json")           , emit: stats
    tuple val(meta), path("${prefix}/multiqc/*_mqc.json")   , emit: multiqc
    path "versions.yml"                                     , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    def hairpin_arg = hairpin ? "--hairpin ${hairpin}" : ''
    """
    printf 'sample,fastq_1\\n' > ${prefix}.samplesheet.csv
    for fastq in ${reads}; do
        printf '%s,%s\\n' '${meta.id}' "\$fastq" >> ${prefix}.samplesheet.csv
    done

    mirq \\
        quant \\
        $args \\
        --quiet \\
        --threads $task.cpus \\
        --species ${species} \\
        --mature ${mature} \\
        ${hairpin_arg} \\
        --samplesheet ${prefix}.samplesheet.csv \\
        --outdir ${prefix}

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
    mkdir -p ${prefix}/collapsed ${prefix}/qc ${prefix}/multiqc
    for table in mature_counts mature_counts_unique mature_rpm hairpin_counts; do
        touch ${prefix}/\$table.tsv
    done
    touch ${prefix}/collapsed/${meta.id}.fa
    touch ${prefix}/qc/${meta.id}.length.tsv
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
