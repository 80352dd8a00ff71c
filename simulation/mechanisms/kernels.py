"""Compiled loops (numba) for the few rules that must visit fans, edges or slots one at a time.

Each kernel is a plain function on NumPy arrays, compiled once per machine (``cache=True``)
and called by the mechanisms and state classes. A kernel that draws random numbers takes its
phase's generator (or a block's stream spawned from it), so a seed fixes every draw.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simulation.mechanisms import engagement

_jit = numba.njit(cache=True, nogil=True)


@_jit
def find_edges(fan_ptr, e_creator, e_platform, fan, creator, platform):  # pragma: no cover
    """Edge index of each (fan, creator, platform) query, -1 where there is no such edge.

    Edges are grouped by fan (``fan_ptr`` is the CSR offset of each fan's block); a fan
    follows a handful of creators, so a linear scan of its block beats a global search.
    """
    out = np.empty(fan.size, np.int32)
    for i in range(fan.size):
        out[i] = _edge_of(fan_ptr, e_creator, e_platform, fan[i], creator[i], platform[i])
    return out


@_jit
def insertion_points(fan_ptr, e_creator, e_platform, fan, creator, platform):  # pragma: no cover
    """Where each new edge goes to keep edges sorted by (fan, creator, platform)."""
    out = np.empty(fan.size, np.int64)
    for i in range(fan.size):
        f = fan[i]
        at = fan_ptr[f + 1]
        for e in range(fan_ptr[f], fan_ptr[f + 1]):
            c = e_creator[e]
            if c > creator[i] or (c == creator[i] and e_platform[e] > platform[i]):
                at = e
                break
        out[i] = at
    return out


@_jit
def half_to_float(bits):  # pragma: no cover
    """The value of an IEEE 754 half-precision number given its 16 bits (numba has no float16)."""
    exponent = (bits >> 10) & 0x1F
    fraction = bits & 0x3FF
    if exponent == 0:  # zero or subnormal
        value = math.ldexp(fraction, -24)
    elif exponent == 31:
        value = math.inf if fraction == 0 else math.nan
    else:
        value = math.ldexp(fraction + 1024, exponent - 25)
    return -value if bits & 0x8000 else value


@_jit
def draw_rows(cdf, rows, u):  # pragma: no cover
    """Column drawn from each listed row of a row-wise cumulative distribution.

    ``u`` holds one uniform per entry; the draw is the first column whose cumulative
    value exceeds ``u`` times the row total (the last column when rounding leaves none).
    """
    out = np.empty(rows.size, np.int64)
    for i in range(rows.size):
        out[i] = _column(cdf[rows[i]], u[i])
    return out


@_jit
def _column(row, u):  # pragma: no cover
    """First column whose cumulative value exceeds ``u`` x the row total (the last if none)."""
    target = u * row[row.size - 1]
    k = 0
    while k < row.size - 1 and row[k] <= target:
        k += 1
    return k


@_jit
def stage_of(stage, f, b):  # pragma: no cover
    """SICAS stage of fan ``f`` for brand ``b`` in the packed table (two brands a byte).

    ``stage[f, b // 2]`` holds brand b's stage (0-5) in its low four bits for an even b,
    in its high four bits for an odd one (``simulation.state.FanState.stage``).
    """
    return (stage[f, b >> 1] >> ((b & 1) << 2)) & 15


@_jit
def advance_stage(stage, counts, fan, brand, to):  # pragma: no cover
    """Move each (fan, brand) to at least stage ``to`` and keep per-stage pair counts.

    ``stage`` is the packed table (:func:`stage_of`). ``counts[s]`` is the number of
    (fan, brand) pairs at stage ``s``; it is updated as pairs move, so population shares
    are read without scanning the (fans, brands) table. Entries whose brand is -1
    (nothing featured) are skipped.
    """
    for i in range(fan.size):
        f, b = fan[i], brand[i]
        if b < 0:  # no product featured
            continue
        s = stage_of(stage, f, b)
        if s < to:
            shift = (b & 1) << 2
            stage[f, b >> 1] = (stage[f, b >> 1] & (0xF0 >> shift)) | (to << shift)
            counts[s] -= 1
            counts[to] += 1


@_jit
def count_pairs(out, row, col):  # pragma: no cover
    """``out[row[i], col[i]] += 1`` for every i (a 2-D bincount into ``out``, any dtype)."""
    for i in range(row.size):
        out[row[i], col[i]] += 1


@_jit
def offsets(out, rows):  # pragma: no cover
    """CSR offsets in place: ``out[i]`` is how many entries of ``rows`` are below i.

    ``out`` has one entry more than there are rows (fans, say) and keeps its dtype: no
    temporary of 8 bytes a row, as ``cumsum(bincount(rows))`` would make.
    """
    out[:] = 0
    for r in rows:
        out[r + 1] += 1
    for i in range(1, out.size):
        out[i] += out[i - 1]


@_jit
def masked_column_means(a, mask):  # pragma: no cover
    """Mean of each column of ``a`` over the rows where ``mask`` is True (NaN if none).

    In float64, row after row: the same sums, bit for bit, as NumPy's masked means, in one
    pass instead of one strided pass per column.
    """
    total = np.zeros(a.shape[1])
    k = 0
    for i in range(a.shape[0]):
        if mask[i]:
            k += 1
            for j in range(a.shape[1]):
                total[j] += a[i, j]
    if k == 0:
        total[:] = np.nan
        return total
    return total / k


@_jit
def add_to_histogram(hist, x, lo, hi):  # pragma: no cover
    """Count values ``x`` into ``hist`` (equal bins over [lo, hi], outside clipped); return it."""
    bins = hist.size
    per_unit = bins / (hi - lo)  # a multiplication per value, not a division
    for v in x:
        k = int((v - lo) * per_unit)
        hist[min(max(k, 0), bins - 1)] += 1
    return hist


@_jit
def alias_tables(ptr, weight):  # pragma: no cover
    """Walker's alias tables (Vose's construction) for weighted draws within each group.

    Items of group g sit at positions ``ptr[g]:ptr[g+1]`` with positive ``weight``. A draw
    picks a position i of the group uniformly, keeps it with probability ``prob[i]`` and
    otherwise takes ``alias[i]``: O(1) per draw and no data-dependent search, where a
    binary search over cumulative weights mispredicts a branch at every step.
    """
    n = weight.size
    prob = np.ones(n)
    alias = np.arange(n)
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    for g in range(ptr.size - 1):
        lo, hi = ptr[g], ptr[g + 1]
        total = 0.0
        for i in range(lo, hi):
            total += weight[i]
        n_s = n_l = 0
        for i in range(lo, hi):
            prob[i] = weight[i] * (hi - lo) / total
            if prob[i] < 1.0:
                small[n_s] = i
                n_s += 1
            else:
                large[n_l] = i
                n_l += 1
        while n_s > 0 and n_l > 0:
            n_s -= 1
            s = small[n_s]
            big = large[n_l - 1]
            alias[s] = big
            prob[big] -= 1.0 - prob[s]
            if prob[big] < 1.0:
                n_l -= 1
                small[n_s] = big
                n_s += 1
        for k in range(n_l):  # what is left is 1 up to rounding
            prob[large[k]] = 1.0
        for k in range(n_s):
            prob[small[k]] = 1.0
    return prob, alias


@_jit
def _pick(ptr, prob, alias, group, u):  # pragma: no cover
    """Item position drawn in proportion to weight within ``group`` (-1 if it has none).

    ``u`` times the group's size gives the position (integer part) and the uniform that
    decides between it and its alias (fractional part).
    """
    lo, hi = ptr[group], ptr[group + 1]
    if lo == hi:
        return -1
    x = u * (hi - lo)
    i = min(int(x), hi - lo - 1)
    return lo + i if x - i < prob[lo + i] else alias[lo + i]


@_jit
def _trust_on(edge_trust, e):  # pragma: no cover
    """Trust on follow edge ``e``, 0 for -1 (not following)."""
    return edge_trust[e] if e >= 0 else np.float32(0.0)


@_jit
def _edge_of(fan_ptr, e_creator, e_platform, f, c, p):  # pragma: no cover
    for e in range(fan_ptr[f], fan_ptr[f + 1]):
        if e_creator[e] == c and e_platform[e] == p:
            return e
    return -1


@_jit
def count_slots(  # pragma: no cover
    rng,
    attention,
    joined,
    impressions_per_day,
    live,
    attendance,
    fan_ptr,
    e_creator,
    e_platform,
    lo,
    hi,
    slots,
    attend,
):
    """Pass 1 of the distribution for fans ``lo:hi``: slots per fan, who attends which stream.

    A fan's slots are Poisson with mean sum_p impressions_per_day[p] x attention[p] (the
    same as independent Poisson counts per platform), none for a fan who has not
    ``joined``; each of its follows whose creator is live today brings it to the stream
    with probability ``attendance`` (``attend`` marks the edge). Returns the rows the fans
    can fill (slots + streams attended).
    """
    n_p = attention.shape[1]
    size = 0
    for f in range(lo, hi):
        if not joined[f]:  # no draw: a market whose fans have all joined keeps its streams
            slots[f] = 0
            continue
        total = 0.0
        for p in range(n_p):
            total += impressions_per_day[p] * attention[f, p]
        slots[f] = rng.poisson(total) if total > 0 else 0
        size += slots[f]
        for j in range(fan_ptr[f], fan_ptr[f + 1]):
            if live[e_creator[j], e_platform[j]] and rng.random() < attendance:
                attend[j] = True
                size += 1
    return size


@_jit
def fill_slots(  # pragma: no cover
    rng,
    attention,
    impressions_per_day,
    algorithm_cdf,
    interest_cdf,
    interest_ptr,
    interest_item,
    interest_prob,
    interest_alias,
    popularity_ptr,
    popularity_item,
    popularity_prob,
    popularity_alias,
    visible,
    fan_ptr,
    e_creator,
    e_platform,
    friend_ptr,
    friends,
    last_engaged,
    lo,
    hi,
    slots,
    attend,
    k,
    out_fan,
    out_creator,
    out_platform,
    out_social,
    out_edge,
):
    """Pass 2 for fans ``lo:hi``: fill each slot and stream visit, writing rows from ``k``.

    Each slot is on platform p with probability proportional to impressions_per_day[p] x
    attention[p] and is filled by one algorithm of p's mix; a slot with nothing to show
    writes no row. Rows are written fan by fan, each fan's stream visits after its slots.
    Returns the row after the last one written.
    """
    n_p = attention.shape[1]
    n_t = interest_cdf.shape[1]
    rate = np.empty(n_p)
    first = k
    for f in range(lo, hi):
        total = 0.0
        for p in range(n_p):
            total += impressions_per_day[p] * attention[f, p]
            rate[p] = total
        for _ in range(slots[f]):
            p = _column(rate, rng.random())
            u = rng.random()
            a = 0
            while a < 3 and algorithm_cdf[p, a] <= u:
                a += 1
            c = -1
            e = -1
            if a == 0:  # interest: a topic of the fan's, then a creator of that niche
                t = _column(interest_cdf[f], rng.random())
                i = _pick(interest_ptr, interest_prob, interest_alias, p * n_t + t, rng.random())
                if i >= 0:
                    c = interest_item[i]
            elif a == 1:  # follower: one of the fan's follows on this platform
                m = 0
                for j in range(fan_ptr[f], fan_ptr[f + 1]):
                    if e_platform[j] == p:
                        m += 1
                if m > 0:
                    pick = int(rng.random() * m)
                    for j in range(fan_ptr[f], fan_ptr[f + 1]):
                        if e_platform[j] == p:
                            if pick == 0:
                                if visible[e_creator[j], p]:
                                    c = e_creator[j]
                                    e = j
                                break
                            pick -= 1
            elif a == 2:  # social: what a random friend last engaged with (resolved below)
                deg = friend_ptr[f + 1] - friend_ptr[f]
                if deg > 0:
                    e = friends[friend_ptr[f] + int(rng.random() * deg)]
                    c = _FRIEND
            else:  # popularity
                i = _pick(popularity_ptr, popularity_prob, popularity_alias, p, rng.random())
                if i >= 0:
                    c = popularity_item[i]
            if c == -1:
                continue
            out_fan[k] = f
            out_creator[k] = c
            out_platform[k] = p
            out_social[k] = a == 2
            if a == 1 or a == 2:  # the follow edge, or the friend of a social slot
                out_edge[k] = e
            else:
                out_edge[k] = _edge_of(fan_ptr, e_creator, e_platform, f, c, p)
            k += 1
        for j in range(fan_ptr[f], fan_ptr[f + 1]):
            if attend[j]:
                out_fan[k] = f
                out_creator[k] = e_creator[j]
                out_platform[k] = e_platform[j]
                out_social[k] = False
                out_edge[k] = j
                k += 1
    return _social_rows(
        first, k, last_engaged, visible, fan_ptr, e_creator, e_platform,
        out_fan, out_creator, out_platform, out_social, out_edge,
    )  # fmt: skip


_FRIEND = -2  # fill_slots' mark of a social row whose friend's content is not yet read


@_jit
def _social_rows(  # pragma: no cover
    start, stop, last_engaged, visible, fan_ptr, e_creator, e_platform,
    out_fan, out_creator, out_platform, out_social, out_edge,
):  # fmt: skip
    """Fill rows ``start:stop`` marked ``_FRIEND`` with what that friend last engaged with.

    A friend is any fan, so reading its last engagement is a cache miss; read in the fill
    loop, each one stalled the loop's next step. Here the reads come first, in a loop that
    does not branch on what it loads, so the processor overlaps them. A social row whose
    friend engaged with nothing, or with a creator that shows nothing on the platform
    today, is dropped and the rows after it close the gap. Returns the new end.
    """
    for i in range(start, stop):
        if out_creator[i] == _FRIEND:
            out_edge[i] = last_engaged[out_edge[i]]
    k = start
    for i in range(start, stop):
        c = out_creator[i]
        if c == _FRIEND:
            c, p = out_edge[i], out_platform[i]
            if c < 0 or not visible[c, p]:
                continue
            out_creator[i] = c
            out_edge[i] = _edge_of(fan_ptr, e_creator, e_platform, out_fan[i], c, p)
        if k < i:
            out_fan[k] = out_fan[i]
            out_creator[k] = out_creator[i]
            out_platform[k] = out_platform[i]
            out_social[k] = out_social[i]
            out_edge[k] = out_edge[i]
        k += 1
    return k


@_jit
def describe(  # pragma: no cover
    creator,
    platform,
    ad,
    live,
    video_product,
    stream_product,
    video_format,
    live_format,
    sponsor,
    deal_platform,
    deal_live,
    out_live,
    out_product,
    out_format,
    out_sponsored,
    lo,
    hi,
):
    """What impressions ``lo:hi`` show: fills their (live, product, format, sponsored).

    A live creator's impression is its stream (the stream's product), otherwise its post
    (the post's product and format); it is sponsored when it is the content a running
    deal bought (that product, platform and format), never for bought traffic.
    """
    for i in range(lo, hi):
        c, p = creator[i], platform[i]
        is_live = live[c, p]
        product = stream_product[c, p] if is_live else video_product[c, p]
        s = sponsor[c]
        out_live[i] = is_live
        out_product[i] = product
        out_format[i] = live_format if is_live else video_format[c, p]
        out_sponsored[i] = (
            not ad[i]
            and s >= 0
            and product == s
            and deal_platform[c] == p
            and is_live == deal_live[c]
        )


@_jit
def shift_edges(edge, fan, before, inserted_at, lo, hi):  # pragma: no cover
    """Renumber edge indices ``lo:hi`` (of fans ``fan``) in place after an insertion.

    ``inserted_at`` holds the insertion positions (old numbering, sorted by fan), and
    ``before[f]`` the number of them in fans before f. An edge e >= 0 of fan f moves up by
    the insertions at positions <= e: all of the earlier fans', and those of its own fan's
    (a handful, ``inserted_at[before[f]:before[f + 1]]``) that come before it.
    """
    for i in range(lo, hi):  # branch-free: e < 0 (no follow, about half) adds 0
        e = edge[i]
        f = fan[i]
        shift = before[f]
        for k in range(before[f], before[f + 1]):
            shift += inserted_at[k] <= e
        edge[i] = e + shift * (e >= 0)


@_jit
def tally(  # pragma: no cover
    fan,
    creator,
    platform,
    fmt,
    product,
    live,
    engaged,
    n_imp,
    n_live,
    n_eng,
    video_eng,
    unit,
    fmt_imp,
    fmt_eng,
    seen,
    reward,
    last_engaged,
):
    """One pass over the day's impressions adding up what the day's statistics need.

    Per (creator, platform): impressions, those of live streams, and engagements; per
    (creator, brand): ``unit`` for each engaged video featuring the brand; per (platform,
    format): impressions and engagements; per (fan, platform): impressions seen and
    engagements (the attention reward); per fan: the creator it engaged with last
    (impressions are in each fan's order of the day).
    """
    for i in range(fan.size):
        c, p = creator[i], platform[i]
        n_imp[c, p] += 1
        n_live[c, p] += live[i]
        fmt_imp[p, fmt[i]] += 1
        seen[fan[i], p] += 1
        if engaged[i]:
            n_eng[c, p] += 1
            fmt_eng[p, fmt[i]] += 1
            reward[fan[i], p] += 1
            last_engaged[fan[i]] = c
            if not live[i] and product[i] >= 0:
                video_eng[c, product[i]] += unit


@_jit
def engagement_chances(  # pragma: no cover
    fan,
    creator,
    platform,
    fmt,
    product,
    edge,
    live,
    social,
    edge_trust,
    interest_cdf,
    niche,
    quality,
    format_appeal,
    audience,
    stage,
    sense,
    n_topics,
    engage,
    chance,
    lo,
    hi,
):
    """The chance to engage of impressions ``lo:hi``, in one pass.

    Fills ``engagement.engage_chance`` of content quality x format appeal x the creator's
    audience factor on that platform, the fan's relevance (its interest share in the
    creator's niche x topics), its trust in the creator (0 when not following), live,
    aware (the fan has sensed the featured brand: SICAS Sense or later) and social;
    ``engage`` holds the rule's four scalars (base, live, aware and social factors).
    """
    base, live_f, aware_f, social_f = engage
    for i in range(lo, hi):
        f, c, b = fan[i], creator[i], product[i]
        trust = _trust_on(edge_trust, edge[i])
        appeal = quality[c] * format_appeal[fmt[i]] * audience[c, platform[i]]
        t = niche[c]
        interest = interest_cdf[f, t] - (interest_cdf[f, t - 1] if t > 0 else 0.0)
        aware = b >= 0 and stage_of(stage, f, b) >= sense
        chance[i] = engagement.engage_chance(
            appeal,
            engagement.relevance(interest, n_topics),
            trust,
            live[i],
            aware,
            social[i],
            base,
            live_f,
            aware_f,
            social_f,
        )


@_jit
def stream_viewers(
    rows, creator, platform, edge, edge_trust, n_platforms, n_keys, stream
):  # pragma: no cover
    """Today's streams and their viewers: the live impressions ``rows``, in one pass.

    A stream is a (creator, platform) with a live impression; streams are numbered in
    the order of ``creator x n_platforms + platform`` (of ``n_keys``), and ``stream[i]``
    gets the number of impression i's stream. Returns the streams' keys, their viewers and
    the viewers who follow the host, and, per live row, its stream, whether the viewer
    follows the host, and its trust in the host (the follow edge's, 0 when not following).
    """
    number = np.full(n_keys, -1, np.int64)
    for i in rows:
        number[creator[i] * n_platforms + platform[i]] = 0
    n_streams = 0
    for k in range(n_keys):
        if number[k] == 0:
            number[k] = n_streams
            n_streams += 1
    keys = np.empty(n_streams, np.int64)
    for k in range(n_keys):
        if number[k] >= 0:
            keys[number[k]] = k
    viewers = np.zeros(n_streams, np.int64)
    following = np.zeros(n_streams, np.int64)
    sid = np.empty(rows.size, np.int32)
    follower = np.empty(rows.size, np.bool_)
    viewer_trust = np.empty(rows.size, np.float32)
    for j in range(rows.size):
        i = rows[j]
        s = number[creator[i] * n_platforms + platform[i]]
        sid[j] = s
        stream[i] = s
        follower[j] = edge[i] >= 0
        viewer_trust[j] = _trust_on(edge_trust, edge[i])
        viewers[s] += 1
        following[s] += follower[j]
    return keys, viewers, following, sid, follower, viewer_trust


@_jit
def fade(trust, creator, baseline, rate, lo, hi):  # pragma: no cover
    """``trust -= rate x max(trust - baseline[creator], 0)`` on edges ``lo:hi``, in place.

    Branch-free: about half the edges sit above their baseline, in an order the processor
    cannot predict, and subtracting ``rate x 0`` leaves the others' values as they were.
    """
    for e in range(lo, hi):
        excess = trust[e] - baseline[creator[e]]
        trust[e] -= rate * max(excess, np.float32(0.0))


@_jit
def sessions(
    arrival, root, watched, follower, trust, stream_minutes, dwell_minutes
):  # pragma: no cover
    """Live viewers' arrival minute and minutes watched, in place (see ``livestream.sessions``).

    On entry ``arrival`` holds a uniform u per viewer, ``root`` u ** (1 / skew) and
    ``watched`` a standard exponential. Followers arrive at Beta(1, skew) by its inverse
    CDF (1 - root), public traffic uniformly over the stream (u); a viewer stays
    dwell x (0.5 + trust) on average, and at most until the end.
    """
    for i in range(arrival.size):
        a = (1.0 - root[i] if follower[i] else arrival[i]) * stream_minutes
        arrival[i] = a
        watched[i] = min(watched[i] * dwell_minutes * (0.5 + trust[i]), stream_minutes - a)


@_jit
def peak_concurrent(stream, arrival, watched, tick, n_streams, n_ticks):  # pragma: no cover
    """Most viewers present at once in each stream, on a grid of ``tick`` minutes.

    Viewer i is there from tick floor(arrival / tick) to floor((arrival + watched) / tick).
    """
    delta = np.zeros((n_streams, n_ticks + 1), np.int64)
    for i in range(stream.size):
        delta[stream[i], int(arrival[i] / tick)] += 1
        delta[stream[i], min(int((arrival[i] + watched[i]) / tick) + 1, n_ticks)] -= 1
    peak = np.zeros(n_streams, np.int64)
    for s in range(n_streams):
        now = 0
        for t in range(n_ticks + 1):
            now += delta[s, t]
            peak[s] = max(peak[s], now)
    return peak


@_jit
def sign_deals(  # pragma: no cover
    rng,
    brand_order,
    tier_budget,
    preference,
    offer_creator,
    offer_platform,
    offer_format,
    tier_ptr,
    niche,
    category,
    offer_fee,
    niche_preference,
    rounds,
    n_creators,
):
    """Deals of every brand, in ``brand_order``, tier by tier (see ``budgets.sign_deals``).

    Offers come sorted by their creator's tier, tier t's at ``tier_ptr[t]:tier_ptr[t + 1]``.
    For one brand and tier, the tier's offers are ranked by Efraimidis-Spirakis keys
    (weighted random order); each greedy pass takes, in rank order, every free creator's
    best offer that fits the remaining budget, as long as the running total still fits.
    """
    sponsor = np.full(n_creators, -1, np.int64)
    platform = np.full(n_creators, -1, np.int64)
    fmt = np.full(n_creators, -1, np.int64)
    fee = np.zeros(n_creators)
    stamp = np.full(n_creators, -1, np.int64)  # the pass in which a creator was last seen
    passes = 0
    n_offers = offer_creator.size
    idx = np.empty(n_offers, np.int64)
    key = np.empty(n_offers)
    for b in brand_order:
        for t in range(tier_budget.shape[1]):
            remaining = tier_budget[b, t]
            if remaining <= 0:
                continue
            m = 0
            for j in range(tier_ptr[t], tier_ptr[t + 1]):
                c = offer_creator[j]
                if sponsor[c] >= 0:
                    continue
                w = preference[b, offer_platform[j], offer_format[j]]
                if niche[c] == category[b]:
                    w *= niche_preference
                if w > 0:
                    idx[m] = j
                    key[m] = -np.log(rng.random()) / w
                    m += 1
            if m == 0:
                continue
            ranked = idx[:m][np.argsort(key[:m])]
            for _ in range(rounds):
                passes += 1
                total = 0.0
                took = False
                for j in ranked:
                    c = offer_creator[j]
                    if sponsor[c] >= 0 or stamp[c] == passes:
                        continue
                    stamp[c] = passes  # only a creator's best-ranked offer counts per pass
                    if offer_fee[j] > remaining:
                        continue
                    if total + offer_fee[j] > remaining:
                        break
                    total += offer_fee[j]
                    took = True
                    sponsor[c] = b
                    platform[c] = offer_platform[j]
                    fmt[c] = offer_format[j]
                    fee[c] = offer_fee[j]
                if not took:
                    break
                remaining -= total
    return sponsor, platform, fmt, fee


@_jit
def insert_sorted(buf, n, at, values):  # pragma: no cover
    """Insert ``values`` before positions ``at`` (sorted) of ``buf[:n]``, in place.

    ``buf`` must have room for ``n + at.size`` items; equal positions keep the values'
    order (as ``np.insert``). Moves each item once, from the end, without a copy.
    """
    w, r = n + at.size - 1, n - 1
    for k in range(at.size - 1, -1, -1):
        while r >= at[k]:
            buf[w] = buf[r]
            w -= 1
            r -= 1
        buf[w] = values[k]
        w -= 1


@_jit
def compact(buf, n, keep):  # pragma: no cover
    """Move the items of ``buf[:n]`` where ``keep`` is True to the front, in order; their count."""
    w = 0
    for r in range(n):
        if keep[r]:
            buf[w] = buf[r]
            w += 1
    return w
