// mirq GPU alignment: seed and extend, with exactly the CPU engine's seeds
// and rules (src/align/cpu.rs, src/align/mod.rs `verify`).
//
// Per batch of inserts, in one submission:
//   lookup_exact   one invocation per insert: the insert's first min(len, 32)
//                  bases looked up in the seed table (slot 0);
//   write_args     sizes the next dispatch from the work queued (indirect);
//   verify_exact   one invocation per chunk of CHUNK candidates of slot 0:
//                  every candidate placement verified, valid ones appended to
//                  `hits`; an insert with a perfect hit is marked settled;
//   lookup_seeds   one invocation per (unsettled insert, slot 1..): the k + 1
//                  pigeonhole pieces on real bases, and the k + 1 pieces of
//                  the edge region (or every offset near an edge window);
//   write_args, verify_seeds   as above for those slots.
// The host keeps, per insert, the hits of the best rank (sorted, deduplicated).
// Every loop is bounded by CHUNK, the insert length or a binary search, so
// an invocation's work stays small (software drivers such as llvmpipe stop a
// SIMD group's loops after about 65k iterations).
//
// Base codes: 0..3 = ACGT, 4 = N (mismatches everything), 5 = wildcard pad.
// Codes are stored one per byte, four per u32 word.

struct Params {
    n_inserts: u32,
    slots: u32,            // slots per insert: 2k + 3
    k: u32,                // max mismatches
    pad_5p: u32,
    pad_3p: u32,
    max_nontemplated: u32,
    hit_capacity: u32,
    work_capacity_0: u32,  // work items of slot 0
    work_capacity_1: u32,  // work items of the other slots (after the first)
    n_entries: u32,        // seed table entries
    n_edge: u32,           // (target, offset) pairs near edge windows
    max_groups_x: u32,     // largest dispatch in x
    text_off: u32,         // word offsets into `reference`
    targets_off: u32,
    windows_off: u32,
    buckets_off: u32,
    edge_off: u32,
    codes_off: u32,        // word offset of the insert codes in `batch`
    edge_buckets_off: u32, // the edge windows' seed table: its buckets and
    n_edge_entries: u32,   // entries (after the whole table's in `entries`)
}

@group(0) @binding(0) var<uniform> params: Params;
// text codes | targets (text_start, len, win_first, win_count) |
// windows (start, end) | buckets (4^10 + 1) | edge pairs (target, offset) |
// edge buckets (4^10 + 1)
@group(0) @binding(1) var<storage, read> reference: array<u32>;
// seed tables (every position, then the edge windows' neighbourhoods):
// key low word, key high word, target, pos << 6 | valid
@group(0) @binding(2) var<storage, read> entries: array<vec4<u32>>;
// inserts (start, len, plan, 0) | codes
@group(0) @binding(3) var<storage, read> batch: array<u32>;
// per (insert, slot): first candidate, end, seed start, kind | seed len << 8
@group(0) @binding(4) var<storage, read_write> slots: array<vec4<u32>>;
// [0] work items of slot 0, [1] of the others, [2] hits, [3] unused,
// [4 + insert] settled (a perfect hit was found)
@group(0) @binding(5) var<storage, read_write> counters: array<atomic<u32>>;
// (slot id, chunk): slot 0's from 0, the others' from work_capacity_0
@group(0) @binding(6) var<storage, read_write> work: array<vec2<u32>>;
// (insert, target, offset, templated | nontemplated << 8 | mismatches << 16 | wildcards << 24)
@group(0) @binding(7) var<storage, read_write> hits: array<vec4<u32>>;
// indirect dispatch arguments: slot 0's verify, the others' verify (a group
// of its own: the verify passes use the buffer for their dispatch, so it
// may not be bound to them)
@group(1) @binding(0) var<storage, read_write> args: array<u32>;

const NONE: u32 = 0xffffffffu;
const WILDCARD: u32 = 5u;
const MAX_SEED: u32 = 32u;
const BUCKET_BASES: u32 = 10u;
const CHUNK: u32 = 32u;
const INLINE: u32 = 8u;
const VALID_BITS: u32 = 6u;
const TAG_SHIFT: u32 = 24u;
const TARGET_MASK: u32 = 0xffffffu;
const MAX_TAG: u32 = 255u;

const KIND_EMPTY: u32 = 0u;
const KIND_SEED: u32 = 1u;
const KIND_EDGE_SEED: u32 = 2u;
const KIND_EDGE_LIST: u32 = 3u;

// plan bits (set by the host per insert length)
const PLAN_EDGE_SEEDS: u32 = 1u << 16u;
const PLAN_EDGE_LIST: u32 = 1u << 17u;

struct Target {
    text_start: u32,
    len: u32,
    win_first: u32,
    win_count: u32,
}

struct Insert {
    start: u32, // index in the codes of the insert's first base (a multiple of 4)
    len: u32,
    plan: u32,  // real piece | edge piece << 8 | PLAN_* bits
}

fn linear_id(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * 64u + lid.x;
}

fn text_base(i: u32) -> u32 {
    return (reference[params.text_off + (i >> 2u)] >> ((i & 3u) * 8u)) & 0xffu;
}

fn insert_base(i: u32) -> u32 {
    return (batch[params.codes_off + (i >> 2u)] >> ((i & 3u) * 8u)) & 0xffu;
}

fn load_target(t: u32) -> Target {
    let o = params.targets_off + 4u * t;
    return Target(reference[o], reference[o + 1u], reference[o + 2u], reference[o + 3u]);
}

fn load_insert(q: u32) -> Insert {
    let o = 4u * q;
    return Insert(batch[o], batch[o + 1u], batch[o + 2u]);
}

fn window_start(w: u32) -> i32 {
    return bitcast<i32>(reference[params.windows_off + 2u * w]);
}

fn window_end(w: u32) -> i32 {
    return bitcast<i32>(reference[params.windows_off + 2u * w + 1u]);
}

fn in_any_window(t: Target, start: i32, end: i32) -> bool {
    for (var w = 0u; w < t.win_count; w++) {
        let i = t.win_first + w;
        if (u32(abs(window_start(i) - start)) <= params.pad_5p && u32(abs(window_end(i) - end)) <= params.pad_3p) {
            return true;
        }
    }
    return false;
}

// Whether offset `o` lies within pad_5p of the start of an edge window of
// target t (a window whose neighbourhood reaches into a pad).
fn near_edge(t: Target, o: i32) -> bool {
    for (var w = 0u; w < t.win_count; w++) {
        let i = t.win_first + w;
        let s = window_start(i);
        let edge = s < i32(params.pad_5p) || window_end(i) + i32(params.pad_3p) > i32(t.len);
        if (edge && u32(abs(s - o)) <= params.pad_5p) {
            return true;
        }
    }
    return false;
}

// Four text codes from code index i (any alignment), low byte first.
fn text4(i: u32) -> u32 {
    let w = params.text_off + (i >> 2u);
    let sh = (i & 3u) * 8u;
    let a = reference[w];
    if (sh == 0u) {
        return a;
    }
    return (a >> sh) | (reference[w + 1u] << (32u - sh));
}

// Bit 0 of each byte set where the codes differ or the text code is N or a
// pad (an N never matches).
fn mismatch_bytes(r: u32, q: u32) -> u32 {
    let t = (r ^ q) | (r & 0x04040404u);
    return (t | (t >> 1u) | (t >> 2u)) & 0x01010101u;
}

// `place` for a placement that lies on real bases only (0 <= offset and
// offset + len <= target length): the bases that are always templated are
// compared four at a time (inserts start on a word), the last ones, which
// may be non-templated, one by one.
fn place_inside(t: Target, offset: i32, q: Insert) -> vec2<u32> {
    let l = q.len;
    let tmax = min(params.max_nontemplated, l - 1u);
    let core = l - tmax;
    let base = t.text_start + u32(offset);
    var mismatches = 0u;
    for (var i = 0u; i < core; i += 4u) {
        var diff = mismatch_bytes(text4(base + i), batch[params.codes_off + ((q.start + i) >> 2u)]);
        let rest = core - i;
        if (rest < 4u) {
            diff &= (1u << (8u * rest)) - 1u;
        }
        mismatches += countOneBits(diff);
        if (mismatches > params.k) {
            return vec2<u32>(NONE, 0u);
        }
    }
    var nontemplated = l - core;
    var best_key = (mismatches << 20u) | (nontemplated << 10u) | nontemplated;
    var best_fields = core | (nontemplated << 8u) | (mismatches << 16u);
    for (var i = core; i < l; i++) {
        let r = text_base(base + i);
        let b = insert_base(q.start + i);
        if (r >= 4u || b >= 4u || r != b) {
            mismatches += 1u;
            if (mismatches > params.k) {
                break;
            }
        }
        nontemplated = l - i - 1u;
        let key = (mismatches << 20u) | (nontemplated << 10u) | nontemplated;
        if (key < best_key) {
            best_key = key;
            best_fields = (i + 1u) | (nontemplated << 8u) | (mismatches << 16u);
        }
    }
    return vec2<u32>(best_key, best_fields);
}

// Best placement at one offset (src/align/mod.rs `verify`): x = sort key
// (mismatches << 20 | free bases << 10 | non-templated bases; NONE when no
// placement is valid), y = templated | nontemplated << 8 | mismatches << 16 |
// wildcards << 24.
fn place(t: Target, offset: i32, q: Insert) -> vec2<u32> {
    var best_key = NONE;
    var best_fields = 0u;
    let l = q.len;
    let hi = i32(t.len + params.pad_3p);
    if (offset < -i32(params.pad_5p) || offset >= hi) {
        return vec2<u32>(NONE, 0u);
    }
    if (offset >= 0 && offset + i32(l) <= i32(t.len)) {
        return place_inside(t, offset, q);
    }
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
            if (mismatches > params.k) {
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

// 64-bit values as (high word, low word).
fn shr64(v: vec2<u32>, s: u32) -> vec2<u32> {
    if (s == 0u) {
        return v;
    }
    if (s >= 32u) {
        return vec2<u32>(0u, v.x >> (s - 32u));
    }
    return vec2<u32>(v.x >> s, (v.y >> s) | (v.x << (32u - s)));
}

fn less64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.x < b.x || (a.x == b.x && a.y < b.y);
}

// The first `s` bases of entry e's key.
fn key_prefix(e: u32, s: u32) -> vec2<u32> {
    let v = entries[e];
    return shr64(vec2<u32>(v.y, v.x), 64u - 2u * s);
}

// Entries whose key starts with the seed of `s` bases at `start` of insert q
// (src/align/index.rs `for_each_occurrence`; the entries' valid bases are
// checked per candidate), in the table whose buckets start at word `b` of
// `reference` and which holds `n` entries. Empty for a seed with an N.
fn seed_range(q: Insert, start: u32, s: u32, b: u32, n: u32) -> vec2<u32> {
    if (n == 0u || s == 0u) {
        return vec2<u32>(0u, 0u);
    }
    var code = vec2<u32>(0u, 0u);
    for (var i = 0u; i < s; i++) {
        let c = insert_base(q.start + start + i);
        if (c >= 4u) {
            return vec2<u32>(0u, 0u);
        }
        code = vec2<u32>((code.x << 2u) | (code.y >> 30u), (code.y << 2u) | c);
    }
    if (s <= BUCKET_BASES) {
        let extra = 2u * (BUCKET_BASES - s);
        let first = code.y << extra;
        let last = (code.y + 1u) << extra;
        return vec2<u32>(reference[b + first], reference[b + last]);
    }
    let bucket = shr64(code, 2u * (s - BUCKET_BASES)).y;
    var lo = reference[b + bucket];
    let hi = reference[b + bucket + 1u];
    // first entry whose prefix is not below the code
    var a = lo;
    var z = hi;
    while (a < z) {
        let mid = (a + z) / 2u;
        if (less64(key_prefix(mid, s), code)) {
            a = mid + 1u;
        } else {
            z = mid;
        }
    }
    lo = a;
    // first entry whose prefix is above the code
    z = hi;
    while (a < z) {
        let mid = (a + z) / 2u;
        if (less64(code, key_prefix(mid, s))) {
            z = mid;
        } else {
            a = mid + 1u;
        }
    }
    return vec2<u32>(lo, a);
}

// Records a slot's candidates and queues them in chunks of CHUNK (verifies
// them here when there are at most INLINE).
fn queue_slot(id: u32, first: u32, end: u32, seed_start: u32, kind: u32, s: u32, list: u32) {
    slots[id] = vec4<u32>(first, end, seed_start, kind | (s << 8u));
    if (end <= first) {
        return;
    }
    // a few candidates are verified at once, without a trip through the queue
    if (end - first <= INLINE) {
        verify_range(id, first, end, kind, s, i32(seed_start), list);
        return;
    }
    let chunks = (end - first + CHUNK - 1u) / CHUNK;
    let base = atomicAdd(&counters[list], chunks);
    var capacity = params.work_capacity_0;
    var offset = 0u;
    if (list == 1u) {
        capacity = params.work_capacity_1;
        offset = params.work_capacity_0;
    }
    for (var j = 0u; j < chunks; j++) {
        if (base + j < capacity) {
            work[offset + base + j] = vec2<u32>(id, j);
        }
    }
}

@compute @workgroup_size(64)
fn lookup_exact(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
    let qi = linear_id(wid, nwg, lid);
    if (qi >= params.n_inserts) {
        return;
    }
    let q = load_insert(qi);
    let s = min(q.len, MAX_SEED);
    let r = seed_range(q, 0u, s, params.buckets_off, params.n_entries);
    queue_slot(qi * params.slots, r.x, r.y, 0u, KIND_SEED, s, 0u);
}

@compute @workgroup_size(64)
fn lookup_seeds(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
    let id = linear_id(wid, nwg, lid);
    let per = params.slots - 1u;
    if (id >= params.n_inserts * per) {
        return;
    }
    let qi = id / per;
    let slot = 1u + id % per;
    let slot_id = qi * params.slots + slot;
    let q = load_insert(qi);
    if (q.len == 0u || atomicLoad(&counters[4u + qi]) != 0u) {
        slots[slot_id] = vec4<u32>(0u, 0u, 0u, KIND_EMPTY);
        return;
    }
    let k = params.k;
    let tmax = min(params.max_nontemplated, q.len - 1u);
    let real_end = q.len - tmax;
    var p = slot - 1u;
    var region_start = 0u;
    var region_end = real_end;
    var piece = q.plan & 0xffu;
    var kind = KIND_SEED;
    if (p > k) {
        // the edge stage
        p = p - k - 1u;
        if ((q.plan & PLAN_EDGE_LIST) != 0u) {
            if (p == 0u) {
                queue_slot(slot_id, 0u, params.n_edge, 0u, KIND_EDGE_LIST, 0u, 1u);
            } else {
                slots[slot_id] = vec4<u32>(0u, 0u, 0u, KIND_EMPTY);
            }
            return;
        }
        if ((q.plan & PLAN_EDGE_SEEDS) == 0u) {
            slots[slot_id] = vec4<u32>(0u, 0u, 0u, KIND_EMPTY);
            return;
        }
        region_start = params.pad_5p;
        region_end = max(select(0u, real_end - params.pad_3p, real_end > params.pad_3p), params.pad_5p);
        piece = (q.plan >> 8u) & 0xffu;
        kind = KIND_EDGE_SEED;
    }
    let start = region_start + p * piece;
    var end = start + piece;
    if (p == k) {
        end = region_end;
    }
    let s = min(end - start, MAX_SEED);
    var r: vec2<u32>;
    if (kind == KIND_EDGE_SEED) {
        r = seed_range(q, start, s, params.edge_buckets_off, params.n_edge_entries);
    } else {
        r = seed_range(q, start, s, params.buckets_off, params.n_entries);
    }
    queue_slot(slot_id, r.x, r.y, start, kind, s, 1u);
}

@compute @workgroup_size(1)
fn write_args() {
    for (var list = 0u; list < 2u; list++) {
        var capacity = params.work_capacity_0;
        if (list == 1u) {
            capacity = params.work_capacity_1;
        }
        let n = min(atomicLoad(&counters[list]), capacity);
        let groups = (n + 63u) / 64u;
        let x = min(groups, params.max_groups_x);
        var y = 0u;
        if (x > 0u) {
            y = (groups + x - 1u) / x;
        }
        args[3u * list] = x;
        args[3u * list + 1u] = y;
        args[3u * list + 2u] = 1u;
    }
}

fn verify_item(item: vec2<u32>, list: u32) {
    let qi = item.x / params.slots;
    if (list == 1u && atomicLoad(&counters[4u + qi]) != 0u) {
        return;
    }
    let slot = slots[item.x];
    let first = slot.x + item.y * CHUNK;
    let end = min(slot.y, first + CHUNK);
    verify_range(item.x, first, end, slot.w & 0xffu, slot.w >> 8u, i32(slot.z), list);
}

// Verifies candidates [first, end) of slot `slot_id` (of `kind`, seed
// of `s` bases at `seed_start`), appending every valid placement to `hits`;
// a perfect one from slot 0 (list 0) settles the insert.
fn verify_range(slot_id: u32, first: u32, end: u32, kind: u32, s: u32, seed_start: i32, list: u32) {
    let qi = slot_id / params.slots;
    let q = load_insert(qi);
    for (var c = first; c < end; c++) {
        var ti: u32;
        var o: i32;
        var check_windows = false;
        if (kind == KIND_EDGE_LIST) {
            ti = reference[params.edge_off + 2u * c];
            o = bitcast<i32>(reference[params.edge_off + 2u * c + 1u]);
        } else {
            let e = entries[c];
            let valid = e.w & ((1u << VALID_BITS) - 1u);
            if (valid < s) {
                continue;
            }
            ti = e.z & TARGET_MASK;
            o = i32(e.w >> VALID_BITS) - seed_start;
            // in the edge table, the tag is the distance from the start of
            // the entry's edge window: o lies within pad_5p of that start
            // when |tag - seed start| <= pad_5p (MAX_TAG: check every window)
            let tag = e.z >> TAG_SHIFT;
            if (kind == KIND_EDGE_SEED) {
                if (tag < MAX_TAG && u32(abs(i32(tag) - seed_start)) > params.pad_5p) {
                    continue;
                }
                check_windows = tag == MAX_TAG;
            }
        }
        let t = load_target(ti);
        // the edge stage is for placements that reach into a pad: one that
        // lies on real bases only is found by the real-base seeds
        if (kind >= KIND_EDGE_SEED && o >= 0 && o + i32(q.len) <= i32(t.len)) {
            continue;
        }
        if (check_windows && !near_edge(t, o)) {
            continue;
        }
        let p = place(t, o, q);
        if (p.x == NONE) {
            continue;
        }
        if (list == 0u && (p.x >> 10u) == 0u) {
            atomicStore(&counters[4u + qi], 1u);
        }
        let h = atomicAdd(&counters[2], 1u);
        if (h < params.hit_capacity) {
            hits[h] = vec4<u32>(qi, ti, bitcast<u32>(o), p.y);
        }
    }
}

@compute @workgroup_size(64)
fn verify_exact(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
    let id = linear_id(wid, nwg, lid);
    if (id >= min(atomicLoad(&counters[0]), params.work_capacity_0)) {
        return;
    }
    verify_item(work[id], 0u);
}

@compute @workgroup_size(64)
fn verify_seeds(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
    let id = linear_id(wid, nwg, lid);
    if (id >= min(atomicLoad(&counters[1]), params.work_capacity_1)) {
        return;
    }
    verify_item(work[params.work_capacity_0 + id], 1u);
}
