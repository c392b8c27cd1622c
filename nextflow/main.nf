#!/usr/bin/env nextflow
/*
 * mirq scatter/gather: one MIRQ_QUANT task per sample of the samplesheet,
 * then one MIRQ_MERGE over all their output directories.
 *
 *   nextflow run nextflow/main.nf --input samplesheet.csv \
 *       --mature mature.fa --hairpin hairpin.fa --species hsa \
 *       --protocol illumina --outdir results
 *
 * Samplesheet: CSV with a header naming `sample` and `fastq_1` (nf-core
 * form); rows with the same sample are lanes, pooled. Merged tables land in
 * ${outdir}/merged/, each sample's own run in ${outdir}/samples/<sample>/.
 */
nextflow.enable.dsl = 2

include { MIRQ_QUANT } from './modules/mirq/quant/main'
include { MIRQ_MERGE } from './modules/mirq/merge/main'

workflow {
    for (name in ['input', 'mature', 'species']) {
        if (!params[name]) {
            error "--${name} is required (see nextflow/main.nf)"
        }
    }

    // samples in samplesheet order, lanes pooled
    def sheet = file(params.input, checkIfExists: true)
    def lines = sheet.readLines().findAll { it.trim() }
    def header = lines[0].split(',')*.trim()
    if (!header.contains('sample') || !header.contains('fastq_1')) {
        error "${params.input}: the header must name the columns sample and fastq_1"
    }
    def reads_by_sample = [:]
    lines.drop(1).each { line ->
        def row = [header, line.split(',', -1)*.trim()].transpose().collectEntries()
        def fastq = file(row.fastq_1)
        if (!fastq.exists()) {
            fastq = sheet.parent.resolve(row.fastq_1)
        }
        if (!fastq.exists()) {
            error "${params.input}: ${row.fastq_1} does not exist"
        }
        reads_by_sample.get(row.sample, []) << fastq
    }
    def sample_order = reads_by_sample.keySet() as List

    ch_reads = Channel.fromList(
        reads_by_sample.collect { id, reads -> [ [ id: id, single_end: true ], reads ] }
    )
    mature  = file(params.mature, checkIfExists: true)
    hairpin = params.hairpin ? file(params.hairpin, checkIfExists: true) : []

    MIRQ_QUANT ( ch_reads, mature, hairpin, params.species )

    // tasks finish in any order: merge in samplesheet order, so that the
    // columns are those of one mirq quant over the samplesheet
    ch_dirs = MIRQ_QUANT.out.results
        .toSortedList { a, b -> sample_order.indexOf(a[0].id) <=> sample_order.indexOf(b[0].id) }
        .map { pairs -> [ [ id: 'merged' ], pairs.collect { it[1] } ] }

    MIRQ_MERGE ( ch_dirs, mature, hairpin )

    MIRQ_QUANT.out.versions.first()
        .mix(MIRQ_MERGE.out.versions)
        .collectFile(name: 'mirq_versions.yml', storeDir: "${params.outdir}/pipeline_info")
}
