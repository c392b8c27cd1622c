// mirq GPU genome screen: the CPU screen's seed tables and scan
// (src/align/screen.rs) on the device.
//
// Per (batch of inserts, part of the reference):
//   scan    one invocation per segment (up to SEGMENT seed end positions of
//           one slice of a record): rolls a 2-bit code over the slice's
//           sense bases, looks every seed length's code up in the batch's
//           seed tables, and queues the entries found, CHUNK at a time, as
//           work items (slice, seed end, first entry, count | seed length << 16);
//   verify  one invocation per work item: each entry's placement (on the
//           sense strand, or on the antisense one for reverse-complement
//           seeds, read from the sense bases) compared base by base; those
//           with at most k mismatches that lie in the slice are appended
//           to `hits`.
// Queues and hits that do not fit are counted anyway; the host reruns with
// buffers of the counted size. Every loop is bounded by SEGMENT and the
// longest seed, the seed lengths, CHUNK or an insert length, so an
// invocation's loops stay short (software drivers such as llvmpipe stop a
// SIMD group's loops after about 65k iterations).
//
// Base codes: 0..3 = ACGT, 4 = N (mismatches everything). Four a word.

struct Params {
    n_segments: u32,    // segments of this dispatch
    seg_first: u32,     // its first segment
    segments_off: u32,  // word offsets into `part`
    slices_off: u32,
    n_tables: u32,
    max_seed: u32,      // longest seed of the batch
    work_capacity: u32,
    n_work: u32,        // work items (verify)
    hit_capacity: u32,
    codes_off: u32,     // word offset of the insert codes in `inserts`
    checks_off: u32,    // word offset of the checks in `entries`
    pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// text (the slices' sense bases, four a word; each slice from a word) |
// slices (text base, record, first position, end position, record length,
// 0, 0, 0) | segments (slice, first seed end, end, 0)
@group(0) @binding(1) var<storage, read> part: array<u32>;
// per table (seed length, word offset of its rank words, of its starts, 0) |
// rank words (bits low, bits high, rank, 0) | starts
@group(0) @binding(2) var<storage, read> tables: array<u32>;
// insert << 9 | reverse complement << 8 | piece start | each entry's check
// (two words: the insert's 7 bases next to the seed on the sense strand,
// 0xff for none; byte 7: before the seed (bit 0), k << 1)
@group(0) @binding(3) var<storage, read> entries: array<u32>;
// per insert (first code, length | k << 8) | codes (four a word)
@group(0) @binding(4) var<storage, read> inserts: array<u32>;
// [0] work items, [1] hits
@group(0) @binding(5) var<storage, read_write> counters: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> work: array<vec4<u32>>;
// (insert, target, offset, mismatches)
@group(0) @binding(7) var<storage, read_write> hits: array<vec4<u32>>;

const CHUNK: u32 = 32u;

fn linear_id(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * 64u + lid.x;
}

fn text_base(i: u32) -> u32 {
    return (part[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

fn insert_base(i: u32) -> u32 {
    return (inserts[params.codes_off + (i >> 2u)] >> ((i & 3u) * 8u)) & 0xffu;
}

// Queues the entries of every seed ending at `pos` (of slice `slice`), for
// the seed lengths `run` covers.
fn look_up(slice: u32, pos: u32, code: u32, run: u32) {
    for (var t = 0u; t < params.n_tables; t += 1u) {
        let s = tables[4u * t];
        if run < s {
            break;
        }
        let c = code & ((1u << (2u * s)) - 1u);
        let w = tables[4u * t + 1u] + 4u * (c >> 6u);
        let bit = c & 63u;
        let lo = tables[w];
        let hi = tables[w + 1u];
        var present: bool;
        var below: u32;
        if bit < 32u {
            present = ((lo >> bit) & 1u) != 0u;
            below = countOneBits(lo & ((1u << bit) - 1u));
        } else {
            present = ((hi >> (bit - 32u)) & 1u) != 0u;
            below = countOneBits(lo) + countOneBits(hi & ((1u << (bit - 32u)) - 1u));
        }
        if !present {
            continue;
        }
        let d = tables[tables[4u * t + 2u] + tables[w + 2u] + below];
        let end = tables[tables[4u * t + 2u] + tables[w + 2u] + below + 1u];
        var e = d;
        loop {
            if e >= end {
                break;
            }
            let n = min(end - e, CHUNK);
            let i = atomicAdd(&counters[0], 1u);
            if i < params.work_capacity {
                work[i] = vec4<u32>(slice, pos, e, n | (s << 16u));
            }
            e += n;
        }
    }
}

@compute @workgroup_size(64)
fn scan(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let id = linear_id(wid, nwg, lid);
    if id >= params.n_segments {
        return;
    }
    let sg = params.segments_off + 4u * (params.seg_first + id);
    let slice = part[sg];
    let a = part[sg + 1u];
    let b = part[sg + 2u];
    let so = params.slices_off + 8u * slice;
    let base = part[so];
    let ps = part[so + 2u];
    let back = params.max_seed - 1u;
    var pos = max(a, ps + back) - back;
    var code = 0u;
    var run = 0u;
    // the text word read last (four bases)
    var at = 0xffffffffu;
    var word = 0u;
    loop {
        if pos >= b {
            break;
        }
        let i = base + pos - ps;
        if (i >> 2u) != at {
            at = i >> 2u;
            word = part[at];
        }
        let c = (word >> ((i & 3u) * 8u)) & 0xffu;
        if c >= 4u {
            run = 0u;
        } else {
            code = (code << 2u) | c;
            run += 1u;
            if pos >= a {
                look_up(slice, pos, code, run);
            }
        }
        pos += 1u;
    }
}

// Whether entry `j`'s check can hold where its seed lies (`start`, `s`
// bases) in a slice: at most k of its tested bases differ from the
// reference's (always, when the bases lie outside the slice).
fn passes(j: u32, start: u32, s: u32, ps: u32, pe: u32, base: u32) -> bool {
    let lo = entries[params.checks_off + 2u * j];
    let hi = entries[params.checks_off + 2u * j + 1u];
    let before = ((hi >> 24u) & 1u) != 0u;
    let k = hi >> 25u;
    var ws = start + s;
    if before {
        if start < ps + 7u {
            return true;
        }
        ws = start - 7u;
    }
    if ws + 7u > pe {
        return true;
    }
    var d = 0u;
    for (var b = 0u; b < 7u; b += 1u) {
        var c: u32;
        if b < 4u {
            c = (lo >> (8u * b)) & 0xffu;
        } else {
            c = (hi >> (8u * (b - 4u))) & 0xffu;
        }
        if c != 0xffu && c != text_base(base + ws + b - ps) {
            d += 1u;
        }
    }
    return d <= k;
}

@compute @workgroup_size(64)
fn verify(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let id = linear_id(wid, nwg, lid);
    if id >= params.n_work {
        return;
    }
    let w = work[id];
    let so = params.slices_off + 8u * w.x;
    let base = part[so];
    let record = part[so + 1u];
    let ps = part[so + 2u];
    let pe = part[so + 3u];
    let len = part[so + 4u];
    let s = w.w >> 16u;
    let n = w.w & 0xffffu;
    // the seed's first position on the sense strand
    let start = w.y + 1u - s;
    for (var j = 0u; j < n; j += 1u) {
        let e = entries[w.z + j];
        if !passes(w.z + j, start, s, ps, pe, base) {
            continue;
        }
        let q = e >> 9u;
        let piece_at = e & 0xffu;
        let rc = (e & 0x100u) != 0u;
        let first = inserts[2u * q];
        let l = inserts[2u * q + 1u] & 0xffu;
        let k = inserts[2u * q + 1u] >> 8u;
        // offset on the target; the placement's first sense position
        var offset: u32;
        var lo: u32;
        if rc {
            let at = len - start - s;
            if at < piece_at {
                continue;
            }
            offset = at - piece_at;
            if len - offset < l {
                continue;
            }
            lo = len - offset - l;
        } else {
            if start < piece_at {
                continue;
            }
            offset = start - piece_at;
            lo = offset;
        }
        if lo < ps || lo + l > pe {
            continue;
        }
        let t0 = base + lo - ps;
        var mm = 0u;
        for (var x = 0u; x < l; x += 1u) {
            let qb = insert_base(first + x);
            var r: u32;
            if rc {
                let sense = text_base(t0 + l - 1u - x);
                r = select(3u - sense, 4u, sense >= 4u);
            } else {
                r = text_base(t0 + x);
            }
            if qb >= 4u || r >= 4u || qb != r {
                mm += 1u;
                if mm > k {
                    break;
                }
            }
        }
        if mm > k {
            continue;
        }
        let h = atomicAdd(&counters[1], 1u);
        if h < params.hit_capacity {
            hits[h] = vec4<u32>(q, 2u * record + select(0u, 1u, rc), offset, mm);
        }
    }
}
