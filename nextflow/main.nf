#!/usr/bin/env nextflow
/*
 * mirq scatter/gather: one MIRQ_QUANT task per sample of the samplesheet,
 * then one MIRQ_MERGE over all of them.
 *
 *   nextflow run nextflow/main.nf --input samplesheet.csv \
 *       --mature mature.fa --hairpin hairpin.fa --species hsa \
 *       --protocol illumina --outdir results
 *   # and other small RNAs by class (tRNA.fa, rRNA.fa, YRNA.fa, ... in a
 *   # directory): ncrna_counts.tsv and ncrna_features.tsv as well
 *   nextflow run nextflow/main.nf ... --ncrna ncrna/hsa
 *   nextflow run nextflow/main.nf -profile test     # on ../shared/data
 *
 * Parameters: nextflow_schema.json. Samplesheet: CSV with the columns
 * `sample` and `fastq_1`, optionally `protocol` and `adapter`
 * (assets/schema_input.json); rows with the same sample are lanes, pooled;
 * relative FASTQ paths are taken from the samplesheet's directory, as
 * `mirq quant --samplesheet` does. Merged outputs land in ${outdir}/merged/,
 * each sample's own run in ${outdir}/samples/<sample>/, logs in
 * ${outdir}/logs/.
 */
nextflow.enable.dsl = 2

include { validateParameters } from 'plugin/nf-schema'
include { MIRQ_QUANT         } from '../modules/nf-core/mirq/quant/main'
include { MIRQ_MERGE         } from '../modules/nf-core/mirq/merge/main'

workflow {
    // types, required parameters and the samplesheet's columns, against
    // nextflow_schema.json and assets/schema_input.json
    validateParameters()

    // samples in samplesheet order, lanes pooled
    def sheet = file(params.input, checkIfExists: true)
    def lines = sheet.readLines().findAll { it.trim() }
    def header = lines[0].split(',')*.trim()
    def reads_by_sample = [:]
    def settings_by_sample = [:]
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
        settings_by_sample[row.sample] = [
            protocol: row.protocol ?: params.protocol,
            adapter : row.adapter ?: params.adapter
        ]
    }
    // mirq merge refuses directories made with other settings: say so now
    // rather than after every sample has run
    if (settings_by_sample.values().unique().size() > 1) {
        error "${params.input}: every sample needs the same protocol and adapter to be merged, found ${settings_by_sample}"
    }
    def sample_order = reads_by_sample.keySet() as List

    ch_reads = channel.fromList(
        reads_by_sample.collect { id, reads ->
            [ [ id: id, single_end: true ] + settings_by_sample[id], reads ]
        }
    )
    ch_mature  = channel.value([ [ id: file(params.mature).baseName ], file(params.mature, checkIfExists: true) ])
    ch_hairpin = params.hairpin
        ? channel.value([ [ id: file(params.hairpin).baseName ], file(params.hairpin, checkIfExists: true) ])
        : channel.value([ [:], [] ])
    // the ncRNA reference (a directory of class FASTA files, or one file):
    // staged for every quant task and again for the merge, which cannot
    // read the quant tasks' copies
    ch_ncrna = params.ncrna
        ? channel.value([ [ id: file(params.ncrna).baseName ], file(params.ncrna, checkIfExists: true) ])
        : channel.value([ [:], [] ])

    MIRQ_QUANT ( ch_reads, ch_mature, ch_hairpin, ch_ncrna, params.species )

    // tasks finish in any order: merge in samplesheet order, so that the
    // columns are those of one mirq quant over the samplesheet
    ch_quant = MIRQ_QUANT.out.inserts
        .join(MIRQ_QUANT.out.stats)
        .toSortedList { a, b -> sample_order.indexOf(a[0].id) <=> sample_order.indexOf(b[0].id) }
        .map { rows -> [ [ id: 'merged' ], rows.collect { it[1] }, rows.collect { it[2] } ] }

    MIRQ_MERGE ( ch_quant, ch_mature, ch_hairpin, ch_ncrna )

    // the versions topic: one line per process and tool
    channel.topic('versions')
        .unique()
        .map { process, tool, version -> "${process.tokenize(':').last()}:\n    ${tool}: ${version}\n" }
        .collectFile(name: 'mirq_software_versions.yml', storeDir: "${params.outdir}/pipeline_info", sort: true)
}
