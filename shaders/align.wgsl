// mirq GPU alignment kernel: the best hits of each insert, by trying every
// offset of every target (the same definition as src/align/mod.rs `verify`
// and `brute_force`). One invocation per (insert, target) pair, in two
// dispatches: `rank_pass` folds the best rank of each insert into `best_rank`
// with atomicMin, `emit_pass` appends every hit of that rank to `hits` (the
// host sorts them). Keeping each invocation's work small also keeps it under
// the loop-iteration cap of software drivers (llvmpipe/lavapipe stop a
// SIMD group's loops after about 65k iterations).
//
// Base codes: 0..3 = ACGT, 4 = N (mismatches everything), 5 = wildcard pad.
// Codes are stored one per byte, four per u32 word.

struct Params {
    n_inserts: u32,
    n_targets: u32,   // targets in this dispatch, from target_base
    pad_5p: u32,
    pad_3p: u32,
    max_mismatches: u32,
    max_nontemplated: u32,
    hit_capacity: u32,
    target_base: u32,
}

struct Target {
    text_start: u32, // index in `text` of the target's first real base
    len: u32,        // real bases
    win_first: u32,  // first window in `windows`
    win_count: u32,
}

struct Window {
    start: i32,
    end: i32,
}

struct InsertRef {
    start: u32, // index in `insert_codes` of the insert's first base
    len: u32,
}

struct HitOut {
    insert: u32,
    target_index: u32,
    offset: i32,
    templated_nt: u32,  // templated | nontemplated << 8
    mismatch_wild: u32, // mismatches | wildcards << 8
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> text: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<Target>;
@group(0) @binding(3) var<storage, read> windows: array<Window>;
@group(0) @binding(4) var<storage, read> inserts: array<InsertRef>;
@group(0) @binding(5) var<storage, read> insert_codes: array<u32>;
@group(0) @binding(6) var<storage, read_write> hit_count: atomic<u32>;
@group(0) @binding(7) var<storage, read_write> hits: array<HitOut>;
@group(0) @binding(8) var<storage, read_write> best_rank: array<atomic<u32>>;

const NONE: u32 = 0xffffffffu;
const WILDCARD: u32 = 5u;

fn text_base(i: u32) -> u32 {
    return (text[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

fn insert_base(i: u32) -> u32 {
    return (insert_codes[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

fn in_any_window(t: Target, start: i32, end: i32) -> bool {
    for (var w = 0u; w < t.win_count; w++) {
        let win = windows[t.win_first + w];
        if (u32(abs(win.start - start)) <= params.pad_5p && u32(abs(win.end - end)) <= params.pad_3p) {
            return true;
        }
    }
    return false;
}

// Best placement at one offset: x = sort key (mismatches, free bases,
// non-templated bases in 10-bit fields; NONE when no placement is valid),
// y = templated | nontemplated << 8 | mismatches << 16 | wildcards << 24.
fn place(t: Target, offset: i32, q: InsertRef) -> vec2<u32> {
    var best_key = NONE;
    var best_fields = 0u;
    let l = q.len;
    let hi = i32(t.len + params.pad_3p);
    let tmax = min(params.max_nontemplated, l - 1u);
    // Bases that can be compared: up to the end of the target's pad.
    let n = u32(clamp(hi - offset, 0, i32(l)));
    var mismatches = 0u;
    var wildcards = 0u;
    for (var i = 0u; i < n; i++) {
        let r = text_base(u32(i32(t.text_start) + offset + i32(i)));
        let b = insert_base(q.start + i);
        if (r == WILDCARD) {
            wildcards += 1u;
        } else if (r >= 4u || b >= 4u || r != b) {
            mismatches += 1u;
            if (mismatches > params.max_mismatches) {
                break;
            }
        }
        let templated = i + 1u;
        let nontemplated = l - templated;
        if (nontemplated <= tmax && (wildcards == 0u || in_any_window(t, offset, offset + i32(templated)))) {
            let key = (mismatches << 20u) | ((wildcards + nontemplated) << 10u) | nontemplated;
            if (key < best_key) {
                best_key = key;
                best_fields = templated | (nontemplated << 8u) | (mismatches << 16u) | (wildcards << 24u);
            }
        }
    }
    return vec2<u32>(best_key, best_fields);
}

@compute @workgroup_size(64)
fn rank_pass(@builtin(global_invocation_id) gid: vec3<u32>) {
    let qi = gid.x;
    if (qi >= params.n_inserts || gid.y >= params.n_targets) {
        return;
    }
    let q = inserts[qi];
    if (q.len == 0u) {
        return;
    }
    let t = targets[params.target_base + gid.y];
    var rank = NONE;
    for (var o = -i32(params.pad_5p); o < i32(t.len + params.pad_3p); o++) {
        let p = place(t, o, q);
        if (p.x != NONE) {
            rank = min(rank, p.x >> 10u);
        }
    }
    if (rank != NONE) {
        atomicMin(&best_rank[qi], rank);
    }
}

@compute @workgroup_size(64)
fn emit_pass(@builtin(global_invocation_id) gid: vec3<u32>) {
    let qi = gid.x;
    if (qi >= params.n_inserts || gid.y >= params.n_targets) {
        return;
    }
    let q = inserts[qi];
    let rank = atomicLoad(&best_rank[qi]);
    if (q.len == 0u || rank == NONE) {
        return;
    }
    let ti = params.target_base + gid.y;
    let t = targets[ti];
    for (var o = -i32(params.pad_5p); o < i32(t.len + params.pad_3p); o++) {
        let p = place(t, o, q);
        if (p.x != NONE && (p.x >> 10u) == rank) {
            let slot = atomicAdd(&hit_count, 1u);
            if (slot < params.hit_capacity) {
                hits[slot] = HitOut(qi, ti, o, p.y & 0xffffu, p.y >> 16u);
            }
        }
    }
}
