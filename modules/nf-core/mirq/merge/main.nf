process MIRQ_MERGE {
    tag "$meta.id"
    label 'process_low'

    // mirq is not on Bioconda / BioContainers yet: with -profile conda or a
    // container profile, point these at your own build (packaging/ in the
    // mirq repository); without a profile the task runs the mirq on PATH.
    conda "${moduleDir}/environment.yml"
    container "mirq:0.1.0"

    input:
    // inserts.tsv.gz and stats.json of each MIRQ_QUANT task, both lists in
    // the column order wanted: the n-th of each is staged in quant<n>/, which
    // rebuilds the directories `mirq merge` reads
    tuple val(meta), path(inserts, stageAs: 'quant????/*'), path(stats, stageAs: 'quant????/*')
    // the reference the quant tasks used (checked against their fingerprint)
    tuple val(meta2), path(mature)
    tuple val(meta3), path(hairpin)
    // and their ncRNA reference ([] for none), given as --ncrna: the paths
    // their stats.json recorded are in the quant tasks' work directories
    tuple val(meta4), path(ncrna, stageAs: 'ncrna/*')

    output:
    tuple val(meta), path("${prefix}/mature_counts.tsv")        , emit: counts
    tuple val(meta), path("${prefix}/mature_counts_unique.tsv") , emit: counts_unique
    tuple val(meta), path("${prefix}/mature_counts_int.tsv")    , emit: counts_int
    tuple val(meta), path("${prefix}/mature_rpm.tsv")           , emit: rpm
    tuple val(meta), path("${prefix}/hairpin_counts.tsv")       , emit: hairpin_counts
    tuple val(meta), path("${prefix}/isomirs.gff3")             , emit: gff, optional: true
    tuple val(meta), path("${prefix}/isomirs.tsv")              , emit: isomirs, optional: true
    tuple val(meta), path("${prefix}/ncrna_counts.tsv")         , emit: ncrna_counts, optional: true
    tuple val(meta), path("${prefix}/ncrna_features.tsv")       , emit: ncrna_features, optional: true
    tuple val(meta), path("${prefix}/collapsed/*.fa")           , emit: collapsed
    tuple val(meta), path("${prefix}/qc/*.length.tsv")          , emit: lengths
    tuple val(meta), path("${prefix}/multiqc/*_mqc.json")       , emit: multiqc
    tuple val(meta), path("${prefix}/inserts.tsv.gz")           , emit: inserts
    tuple val(meta), path("${prefix}/stats.json")               , emit: stats
    tuple val(meta), path("${prefix}.log")                      , emit: log
    tuple val(meta), path("${prefix}/mirq.log")                 , emit: mirq_log
    tuple val(meta), path("${prefix}/report.html")              , emit: report
    tuple val("${task.process}"), val('mirq'), eval("mirq --version | cut -d ' ' -f 2"), topic: versions, emit: versions_mirq

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    def hairpin_arg = hairpin ? "--hairpin ${hairpin}" : ''
    """
    dirs=()
    for table in ${inserts}; do
        dirs+=("\$(dirname "\$table")")
    done
    ncrna_args=()
    for path in ${ncrna}; do
        ncrna_args+=(--ncrna "\$path")
    done

    mirq \\
        merge \\
        $args \\
        --threads $task.cpus \\
        --mature ${mature} \\
        ${hairpin_arg} \\
        "\${ncrna_args[@]}" \\
        --outdir ${prefix} \\
        "\${dirs[@]}" \\
        2>| >(tee ${prefix}.log >&2)
    """

    stub:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo $args
    mkdir -p ${prefix}/collapsed ${prefix}/qc ${prefix}/multiqc
    for table in mature_counts mature_counts_unique mature_counts_int mature_rpm hairpin_counts isomirs ncrna_counts ncrna_features; do
        touch ${prefix}/\$table.tsv
    done
    touch ${prefix}/isomirs.gff3
    touch ${prefix}/collapsed/${meta.id}.fa
    touch ${prefix}/qc/${meta.id}.length.tsv
    for section in general_stats insert_lengths composition top_mirnas isomirs origin_general_stats; do
        touch ${prefix}/multiqc/mirq_\${section}_mqc.json
    done
    echo | gzip > ${prefix}/inserts.tsv.gz
    touch ${prefix}/stats.json
    touch ${prefix}.log
    touch ${prefix}/mirq.log
    touch ${prefix}/report.html
    """
}
