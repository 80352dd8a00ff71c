"""Unit tests of each rule, on hand-made arrays with known answers."""

import numpy as np
import pytest
from conftest import ROOT

from simulation.mechanisms import (
    attention,
    blocks,
    budgets,
    content,
    distribution,
    engagement,
    formats,
    growth,
    kernels,
    livestream,
    sicas,
    trust,
)
from simulation.mechanisms.learning import MultiplicativeWeights
from simulation.mechanisms.sampling import sample_accepted, sample_grouped
from simulation.state import FanState, Follows, SocialGraph


def rng(seed=0):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ sampling
def test_sample_grouped_draws_within_group_in_proportion_to_weight():
    group = np.array([0, 1, 0, 1, 2])
    weight = np.array([1.0, 1.0, 3.0, 0.0, 0.0])
    out = sample_grouped(group, weight, np.zeros(40_000, int), 3, rng())
    assert set(out) == {0, 2}
    assert np.mean(out == 2) == pytest.approx(0.75, abs=0.01)
    assert set(sample_grouped(group, weight, np.ones(100, int), 3, rng())) == {1}
    assert (sample_grouped(group, weight, np.full(5, 2), 3, rng()) == -1).all()  # zero weight


def test_sample_accepted_draws_in_proportion_to_acceptance():
    accept = np.array([1.0, 0.5, 0.5, 0.0])
    out = sample_accepted(rng(), 4, lambda items, draws: accept[items], 60_000)
    assert out.size == 60_000 and not (out == 3).any()
    np.testing.assert_allclose(
        np.bincount(out, minlength=4) / out.size, [0.5, 0.25, 0.25, 0.0], atol=0.01
    )
    # Acceptance may depend on the draw: draw i only accepts item i % 2.
    out = sample_accepted(rng(), 4, lambda items, draws: items == draws % 2, 1000, tries=3)
    assert (out == np.arange(1000) % 2).all()


def test_alias_tables_give_each_item_its_weight_share():
    from simulation.mechanisms import kernels

    w = rng(3).random(50) ** 3  # uneven weights, two groups of 20 and 30 items
    ptr = np.array([0, 20, 50])
    prob, alias = kernels.alias_tables(ptr, w)
    for lo, hi in ((0, 20), (20, 50)):
        implied = np.zeros(w.size)
        for i in range(lo, hi):  # position i is kept with prob[i], else gives way to alias[i]
            implied[i] += prob[i] / (hi - lo)
            implied[alias[i]] += (1 - prob[i]) / (hi - lo)
        np.testing.assert_allclose(implied[lo:hi], w[lo:hi] / w[lo:hi].sum(), atol=1e-12)
        assert (alias[lo:hi] >= lo).all() and (alias[lo:hi] < hi).all()


# ------------------------------------------------------------------ distribution (mechanism 1)
def _feed(niche, quality=None, followers=None):
    n = len(niche)
    q = np.ones(n) if quality is None else quality
    f = np.zeros(n) if followers is None else followers
    visible = np.ones(n, bool)
    iw, pw = distribution.public_weights(
        q, np.ones(n), f, visible, head_threshold=1e9, head_public_traffic=1.0, popularity_prior=1.0
    )
    return distribution.Feed(np.asarray(niche), iw, pw, visible)


def only(
    algorithm: str,
    n_fans: int,
    feed,
    per_day=5.0,
    interest=None,
    follows=None,
    graph=None,
    last_engaged=None,
):
    """Run one platform whose mix is a single algorithm; unset inputs are empty."""
    weights = np.array([[algorithm == a for a in ("interest", "follower", "social", "popularity")]])
    cdf = np.cumsum(interest, 1) if interest is not None else np.ones((n_fans, 1))
    fan, creator, platform, social, edge, k = distribution.distribute(
        rng(),
        np.ones((n_fans, 1), np.float32),
        cdf.astype(np.float32),
        [feed],
        np.zeros((feed.niche.size, 1), bool),  # nobody is live
        follows or Follows(n_fans),
        graph or SocialGraph.small_world(n_fans, 0, 0, rng()),
        np.full(n_fans, -1, np.int32) if last_engaged is None else last_engaged,
        impressions_per_day=np.array([per_day]),
        weights=weights.astype(float),
        stream_attendance=0.0,
    )
    assert (platform == 0).all() and k == fan.size and (np.diff(fan) >= 0).all()
    assert social.all() == (algorithm == "social") or not social.size
    return fan, creator, social, edge


def test_blocks_give_the_same_rows_on_any_number_of_threads(monkeypatch):
    from simulation.mechanisms import kernels

    trust = rng(4).random(10_000).astype(np.float32)
    creator = rng(5).integers(0, 7, trust.size).astype(np.int32)
    fan = np.sort(rng(6).integers(0, 500, trust.size)).astype(np.int32)
    monkeypatch.setattr(blocks, "ROWS", 1000)
    assert len(blocks.spans(trust.size)) == 10
    outs = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(blocks, "THREADS", threads)
        out = np.full((trust.size, 4), -1.0, np.float32)
        blocks.rows(_fill_rows, trust.size, trust, creator, fan, out)
        outs.append(out)
        # Small work stays on this thread, and jobs' results keep their order.
        assert blocks.run(lambda i: i * i, [(i,) for i in range(5)], rows=10) == [0, 1, 4, 9, 16]
        assert blocks.run(lambda i: i * i, [(i,) for i in range(5)]) == [0, 1, 4, 9, 16]
        assert blocks.together(lambda: "a", lambda: "b") == ["a", "b"]
    assert (outs[0] >= 0).all()  # every row written, once
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])
    # Fewer than ROWS rows are split among the threads once each thread gets SPLIT_ROWS.
    monkeypatch.setattr(blocks, "ROWS", 32_768)
    monkeypatch.setattr(blocks, "THREADS", 2)
    for n, expected in (
        (3 * blocks.SPLIT_ROWS, [(0, 12_288), (12_288, 24_576)]),
        (2 * blocks.SPLIT_ROWS - 1, [(0, 16_383)]),
        (blocks.ROWS + 5, [(0, 32_768), (32_768, 32_773)]),
    ):
        spans = []
        blocks.rows(lambda lo, hi, spans=spans: spans.append((lo, hi)), n)
        assert sorted(spans) == expected
    hist = kernels.add_to_histogram(np.zeros(10, np.int64), trust, 0.0, 1.0)
    np.testing.assert_array_equal(hist, np.histogram(trust, 10, (0.0, 1.0))[0])


def test_blocks_share_jobs_with_the_calling_thread_and_wait_for_all_before_raising(monkeypatch):
    """Each job runs once, the caller takes some, and an error waits for the other jobs."""
    import threading
    import time

    monkeypatch.setattr(blocks, "THREADS", 2)
    caller, done = threading.get_ident(), []

    def job(i: int) -> int:
        time.sleep(0.002)  # long enough for both threads to take jobs
        done.append((i, threading.get_ident() == caller))
        return -i

    assert blocks.run(job, [(i,) for i in range(40)]) == [-i for i in range(40)]
    assert sorted(i for i, _ in done) == list(range(40))  # every job, once
    assert {by_caller for _, by_caller in done} == {True, False}  # both threads worked
    done.clear()

    def failing(i: int) -> None:
        time.sleep(0.002)
        if i == 3:
            raise ValueError("job 3")
        done.append(i)

    with pytest.raises(ValueError, match="job 3"):
        blocks.run(failing, [(i,) for i in range(20)])
    settled = len(done)
    time.sleep(0.05)
    assert len(done) == settled == 19  # the others finished before the error came out


@pytest.mark.skipif(blocks._malloc_trim is None, reason="glibc's malloc_trim only")
def test_freed_memory_stays_resident_until_released(monkeypatch):
    """The heap keeps freed arrays' pages for reuse; release_free_memory hands them back."""
    monkeypatch.syspath_prepend(ROOT / "benchmarks")
    from full_run import resident_mb  # the whole-run benchmark's reading of /proc

    big = np.ones(100_000_000 // 8)  # 100 MB, every page touched
    held = resident_mb()
    del big
    kept = resident_mb()
    blocks.release_free_memory()
    released = resident_mb()
    assert kept > held - 20  # freeing alone returned (almost) nothing
    assert released < kept - 80  # the trim returned the array's pages


def test_masked_column_means_are_numpys_to_the_bit():
    """The data collector's attention means: one pass, the same float64 sums as NumPy's."""
    from simulation.mechanisms import kernels

    rows = rng(4).random((5_000, 4)).astype(np.float32)
    mask = rows[:, 0] > 0.3
    np.testing.assert_array_equal(
        kernels.masked_column_means(rows, mask),
        [rows[:, j].mean(dtype=np.float64, where=mask) for j in range(4)],
    )
    assert np.isnan(kernels.masked_column_means(rows, np.zeros(5_000, bool))).all()


def _fill_rows(trust, creator, fan, out, lo, hi):
    """A row-filling job for the blocks test: each row's own values, written in place."""
    out[lo:hi, 0] = trust[lo:hi]
    out[lo:hi, 1] = creator[lo:hi]
    out[lo:hi, 2] = fan[lo:hi]
    out[lo:hi, 3] = lo


def test_distribution_is_the_same_on_any_number_of_threads(monkeypatch):
    n_fans, n_topics = 1000, 4
    interest = rng(1).dirichlet(np.ones(n_topics), n_fans)
    fo = Follows(n_fans)
    fo.add(rng(2).integers(0, n_fans, 3000), rng(3).integers(0, 6, 3000), np.zeros(3000, int), 0.5)
    live = np.zeros((6, 1), bool)
    live[2] = True  # followers of creator 2 may come to its stream
    graph = SocialGraph.small_world(n_fans, 4, 0.1, rng())
    monkeypatch.setattr(distribution, "FAN_BLOCK", 100)  # ten blocks
    monkeypatch.setattr(blocks, "ROWS", 1000)  # handed to threads: 4,000 rows expected
    runs = []
    for threads in (1, 2, 4):
        monkeypatch.setattr(blocks, "THREADS", threads)
        runs.append(
            distribution.distribute(
                rng(7),
                np.ones((n_fans, 1), np.float32),
                np.cumsum(interest, 1).astype(np.float32),
                [_feed(np.array([0, 1, 2, 3, 0, 1]))],
                live,
                fo,
                graph,
                rng(8).integers(-1, 6, n_fans).astype(np.int32),
                impressions_per_day=np.array([4.0]),
                weights=np.array([[0.4, 0.3, 0.2, 0.1]]),
                stream_attendance=0.5,
            )
        )
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
    fan, creator, _, _, edge, k = runs[0]
    assert k == fan.size > 3000 and (np.diff(fan) >= 0).all() and (creator >= 0).all()
    np.testing.assert_array_equal(edge, fo.find(fan, creator, np.zeros(k, np.int8)))


def test_interest_matching_sends_niche_content_to_matching_fans():
    n_fans, n_topics = 2000, 4
    interest = np.full((n_fans, n_topics), 0.01)
    interest[:1000, 0] = 0.97  # first half loves topic 0, second half topic 3
    interest[1000:, 3] = 0.97
    interest /= interest.sum(1, keepdims=True)
    niche = np.array([0, 0, 1, 2, 3, 3])
    fans, creators, _, edge = only("interest", n_fans, _feed(niche), interest=interest)
    assert (edge == -1).all()  # nobody follows anyone here
    first = fans < 1000
    assert np.mean(niche[creators[first]] == 0) > 0.9
    assert np.mean(niche[creators[~first]] == 3) > 0.9


def test_follower_feed_shows_only_followed_creators_that_posted():
    fo = Follows(3)
    fo.add([0, 0, 1], [2, 3, 3], [0, 0, 0], [0.5, 0.5, 0.5])
    feed = _feed(np.zeros(5, int))
    feed.visible[3] = False  # creator 3 posted nothing today
    fans, creators, _, edge = only("follower", 3, feed, per_day=20.0, follows=fo)
    assert set(zip(fans.tolist(), creators.tolist(), strict=True)) == {(0, 2)}
    assert (edge == fo.find([0], [2], [0])[0]).all()


def test_social_feed_shows_what_friends_engaged_with():
    graph = SocialGraph.small_world(50, 4, 0.0, rng())
    last = np.full(50, -1, np.int32)
    last[10] = 7  # fan 10 engaged with creator 7; its ring neighbours are 8, 9, 11, 12
    fans, creators, _, _ = only(
        "social", 50, _feed(np.zeros(10, int)), per_day=30.0, graph=graph, last_engaged=last
    )
    assert set(creators) == {7}
    assert set(fans) == {8, 9, 11, 12}


def test_popularity_is_proportional_to_followers_plus_one():
    feed = _feed(np.zeros(3, int), followers=np.array([0.0, 9.0, 99.0]))
    _fans, creators, _, _ = only("popularity", 20_000, feed, per_day=3.0)
    share = np.bincount(creators, minlength=3) / creators.size
    np.testing.assert_allclose(share, [1 / 111, 10 / 111, 100 / 111], atol=0.005)


def test_head_public_traffic_cap_lowers_head_weights():
    iw, pw = distribution.public_weights(
        np.ones(2),
        np.ones(2),
        np.array([10.0, 1000.0]),
        np.ones(2, bool),
        head_threshold=500,
        head_public_traffic=0.5,
        popularity_prior=1.0,
    )
    assert iw.tolist() == [1.0, 0.5] and pw.tolist() == [11.0, 500.5]


def test_traffic_pool_pushes_content_that_engages_its_first_pool():
    kw = dict(pool_prior_impressions=20.0)
    boost = distribution.pool_boost(
        np.array([100, 100, 0]), np.array([30, 5, 0]), pool_escalation=1.0, **kw
    )
    assert boost[0] > 1 > boost[1]
    assert boost[2] == pytest.approx(1.0)  # no evidence: the platform average
    off = distribution.pool_boost(np.array([100, 100]), np.array([30, 5]), pool_escalation=0, **kw)
    assert (off == 1).all()


# ------------------------------------------------------------------ content (mechanism 2)
def test_creator_past_threshold_streams_on_its_schedule():
    followers = np.array([[5], [50], [50]])
    offset = np.array([0, 0, 1])
    posts = np.ones((3, 1), bool)
    eligible = content.live_eligible(followers, posts, np.array([True]), threshold=10.0)
    kw = dict(stream_interval_days=3, offset=offset, eligible=eligible, active=np.ones(3, bool))
    assert content.streaming(day=0, **kw)[:, 0].tolist() == [False, True, False]
    assert content.streaming(day=1, **kw)[:, 0].tolist() == [False, False, True]
    assert not content.live_eligible(followers, posts, np.array([False]), threshold=10.0).any()


def test_stream_product_is_sponsor_else_best_engaging_video_product():
    eng = np.array([[0.0, 2.0, 1.0], [0.0, 0.0, 0.0], [5.0, 0.0, 0.0]])
    sponsor = np.array([-1, -1, 2])
    assert content.stream_products(sponsor, eng).tolist() == [1, -1, 2]


def test_half_precision_bits_read_as_numpy_reads_them():
    bits = np.arange(2**16, dtype=np.uint16)
    want = bits.view(np.float16).astype(np.float64)
    got = np.array([kernels.half_to_float(b) for b in bits.tolist()])
    np.testing.assert_array_equal(got, want)  # NaN where NumPy has NaN


@pytest.mark.parametrize("memory", [0.0, 0.1, 0.6, 1.0])
def test_lazy_engagement_memory_is_the_exponential_average(memory):
    """Stored at a scale in float32, the memory is E = (1 - m) E + m x engaged videos."""
    rng = np.random.default_rng(5)
    table, weight, explicit = np.zeros((4, 3), np.float32), 1.0, np.zeros((4, 3))
    for _ in range(2000):  # long enough to fold the decay into the table at m = 0.1 and 0.6
        today = rng.poisson(0.3, (4, 3))
        weight, unit = content.memory_unit(table, weight, engagement_memory=memory)
        table += np.float32(unit) * today.astype(np.float32)
        explicit = (1 - memory) * explicit + memory * today
        assert np.isfinite(table).all()
        np.testing.assert_allclose(table * weight, explicit, rtol=1e-5, atol=1e-30)


def test_sponsored_videos_feature_the_sponsor():
    sponsor = np.array([3, -1, -1])
    out = content.video_products(
        sponsor,
        np.array([0, 1, 1]),
        np.array([0.0, 1.0, 0.0]),
        np.array([0, 1, 1, 2]),
        rng(),
        n_topics=3,
    )
    assert out[0] == 3 and out[1] in (1, 2) and out[2] == -1


# ------------------------------------------------------------------ trust (mechanism 3)
def test_trust_rises_after_good_experiences_and_collapses_after_fakes():
    t = np.array([0.5, 0.5, 0.5])
    good, fake = np.array([True, False, False]), np.array([False, False, True])
    kw = dict(trust_gain=0.2, trust_bad_experience=0.3, collapse=0.1)
    after = trust.after_purchase(t, good, fake, **kw)
    np.testing.assert_allclose(after, [0.6, 0.35, 0.05])
    repeated = t[:1]
    for _ in range(20):
        repeated = trust.after_purchase(repeated, np.array([True]), np.array([False]), **kw)
    assert 0.98 < repeated[0] <= 1.0


def test_trust_fades_toward_the_relationship_baseline_and_never_below_it():
    t = np.array([0.9, 0.5, 0.3, 0.1, 0.9], np.float32)
    creator = np.array([0, 0, 0, 0, 1], np.int32)
    baseline = np.array([0.3, 0.8])  # of each creator's followers
    trust.decay(t, creator, baseline, trust_decay=0.1)
    # Earned trust loses a tenth of its excess; at or below the baseline nothing moves
    # (a scandal's damage does not heal with time alone).
    np.testing.assert_allclose(t, [0.84, 0.48, 0.3, 0.1, 0.89], rtol=1e-6)
    for _ in range(500):
        trust.decay(t, creator, baseline, trust_decay=0.1)
    np.testing.assert_allclose(t, [0.3, 0.3, 0.3, 0.1, 0.8], atol=1e-6)


def test_follows_end_below_the_unfollow_trust_and_at_the_yearly_rate():
    r = rng()
    t = np.full(200_000, 0.5, np.float32)
    t[:1000] = 0.05
    keep = trust.still_following(r, t, unfollow_trust=0.12, unfollow_rate=0.0)
    assert not keep[:1000].any() and keep[1000:].all()
    keep = trust.still_following(r, t, unfollow_trust=0.12, unfollow_rate=36.5)  # 10% a day
    dropped = 1 - keep[1000:].mean()
    assert abs(dropped - 0.1) < 4 * np.sqrt(0.1 * 0.9 / 199_000)


def test_ended_relationships_count_in_trust_at_the_trust_they_ended_with():
    fo = Follows(n_fans=3)
    fo.add(np.array([0, 1, 2]), np.array([0, 0, 1]), np.array([0, 0, 0]), np.array([0.8, 0.6, 0.1]))
    fo.keep(fo.trust >= 0.12)
    assert len(fo) == 2 and fo.ended.count == 1
    assert fo.ended.total == pytest.approx(0.1)
    assert fo.ended.hist.sum() == 1 and fo.ended.hist[1000] == 1  # the bin of 0.1


def test_experience_is_good_when_quality_meets_expectation_and_never_for_fakes():
    q = np.array([0.9] * 1000 + [0.1] * 1000)
    fake = np.zeros(2000, bool)
    fake[:500] = True
    good = trust.experience(q, fake, rng(), expectation=0.5, experience_noise=0.05)
    assert not good[:500].any() and good[500:1000].all() and not good[1000:].any()


# ------------------------------------------------------------------ engagement and SICAS
def test_engagement_rises_with_quality_relevance_trust_awareness_and_social_proof():
    one, no, yes = np.ones(1), np.array([False]), np.array([True])

    def p(quality=one, relevance=one, trust=0 * one, live=no, aware=no, social=no):
        return engagement.engage_probability(
            quality,
            relevance,
            trust,
            live,
            aware,
            social,
            engage_base=0.1,
            live_engage_factor=2.0,
            aware_engage_factor=1.5,
            social_proof=3.0,
        )[0]

    assert p() == pytest.approx(0.1)
    assert p(quality=2 * one) == p(relevance=2 * one) == p(trust=one) == pytest.approx(0.2)
    assert p(live=yes, aware=yes) == pytest.approx(0.3)
    assert p(social=yes) == pytest.approx(0.3)


def test_relevance_is_interest_share_times_topics():
    interest = np.array([[0.5, 0.25, 0.25]])
    fans = FanState.create(
        attention=np.ones((1, 1)),
        interest=interest,
        budget=np.ones(1),
        n_brands=1,
        brand_trust=0.5,
        friends=SocialGraph.small_world(1, 0, 0, rng()),
    )
    share = fans.interest(np.array([0, 0, 0]), np.array([0, 1, 2]))
    np.testing.assert_allclose(engagement.relevance(share, 3), [1.5, 0.75, 0.75])


def test_purchase_probability_grows_with_trust_and_is_highest_live():
    t = np.array([0.2, 0.5, 1.0])
    kw = dict(purchase_base=0.4, trust_exponent=2.0, video_conversion_factor=0.3)
    p = sicas.purchase_probability(t, np.ones(3, bool), np.ones(3), np.ones(3), **kw)
    np.testing.assert_allclose(p, 0.4 * t**2)
    video = sicas.purchase_probability(t, np.zeros(3, bool), np.ones(3), np.ones(3), **kw)
    np.testing.assert_allclose(video, 0.3 * p)
    broke = sicas.purchase_probability(t, np.ones(3, bool), np.ones(3), np.zeros(3), **kw)
    assert (broke == 0).all()


def test_a_candidate_purchase_uses_the_trust_that_speaks_for_the_product():
    """Followed creator: that trust; a brand's own account: brand trust; else a stranger's."""
    kw = dict(purchase_base=0.4, trust_exponent=2.0, video_conversion_factor=0.3)
    rows = np.array([0, 1, 2])
    brand_trust = np.array([[0.6], [0.8], [0.5]], np.float16)
    wallet, price = np.array([10.0, 5.0, 20.0], np.float32), np.array([10.0])
    chance, affordable = np.empty(3), np.empty(3, bool)
    sicas.purchase_chances(
        rows,
        np.array([0, 1, 2]),  # fan
        np.array([0, 0, 0]),  # product
        np.array([0, -1, -1]),  # edge: only the first follows
        np.array([0, 1, 0]),  # creator 1 is a brand's own account
        np.array([True, True, False]),  # live
        np.array([0, 0, 1]),  # platform
        np.array([1.0, 0.5, 1.0], np.float32),  # watch
        np.array([0.9], np.float32),  # trust on the follow edge
        brand_trust.view(np.uint16),
        np.array([-1, 0]),  # owner
        wallet,
        price,
        np.array([1.0, 2.0]),  # festival demand on platform 1
        0.1,  # stranger_trust
        tuple(kw.values()),
        chance,
        affordable,
        0,  # candidates rows[0:3]
        3,
    )
    bt = brand_trust[:, 0].astype(float)
    want = sicas.purchase_probability(
        np.array([0.9, bt[1], 0.1]),
        np.array([True, True, False]),
        bt,
        np.minimum(wallet / 10, 1),
        **kw,
    )
    np.testing.assert_allclose(chance, want * [1.0, 0.5, 2.0], rtol=1e-6)
    assert affordable.tolist() == [True, False, True]


def test_stages_only_advance():
    stage = sicas.packed_stages(2, 2)
    counts = np.zeros(6, np.int64)
    counts[0] = 4
    sicas.advance(stage, counts, np.array([0, 0]), np.array([1, 1]), sicas.ACTION)
    sicas.advance(stage, counts, np.array([0]), np.array([1]), sicas.SENSE)
    assert sicas.unpack(stage, 2).tolist() == [[0, sicas.ACTION], [0, 0]]
    assert counts.tolist() == [3, 0, 0, 0, 1, 0]  # pairs per stage follow the moves


def test_packed_stages_hold_what_a_table_of_one_byte_a_pair_would():
    """Two brands a byte (an odd count too): every read agrees with a plain int8 table."""
    r = rng(8)
    n_fans, n_brands = 40, 7
    stage, plain = sicas.packed_stages(n_fans, n_brands), np.zeros((n_fans, n_brands), np.int8)
    counts = np.zeros(6, np.int64)
    counts[0] = n_fans * n_brands
    assert stage.shape == (40, 4) and stage.dtype == np.uint8
    for to in (sicas.SENSE, sicas.CONNECT, sicas.INTEREST, sicas.SHARE, sicas.ACTION):
        fans, brands = r.integers(0, n_fans, 60), r.integers(-1, n_brands, 60)
        sicas.advance(stage, counts, fans, brands, to)
        for f, b in zip(fans, brands, strict=True):
            if b >= 0:
                plain[f, b] = max(plain[f, b], to)
    np.testing.assert_array_equal(sicas.unpack(stage, n_brands), plain)
    f, b = r.integers(0, n_fans, 100), r.integers(0, n_brands, 100)
    np.testing.assert_array_equal(sicas.stages_of(stage, f, b), plain[f, b])
    assert counts.tolist() == np.bincount(plain.ravel(), minlength=6).tolist()


def test_one_purchase_per_fan_per_day():
    fans = np.array([3, 3, 3, 1, 2, 2])
    keep = sicas.first_per_fan(fans, rng())
    assert sorted(fans[keep].tolist()) == [1, 2, 3]


def test_sharing_reaches_friends():
    graph = SocialGraph.small_world(100, 6, 0.0, rng())
    src, friend = graph.spread(np.array([0, 50]), reach=1.0, rng=rng())
    assert sorted(friend[src == 0].tolist()) == [1, 2, 3, 97, 98, 99]
    assert sorted(friend[src == 1].tolist()) == [47, 48, 49, 51, 52, 53]
    assert graph.spread(np.array([0]), reach=0.0, rng=rng())[1].size == 0


# ------------------------------------------------------------------ state containers
def test_follows_add_find_keep():
    fo = Follows(4)
    assert len(fo.add([2, 1, 1, 1], [5, 4, 4, 9], [0, 1, 1, 0], [0.1, 0.2, 0.3, 0.4])) == 3
    assert len(fo.add([1], [4], [1], [0.9])) == 0  # already following
    assert fo.fan.tolist() == [1, 1, 2]  # sorted by fan
    idx = fo.find([1, 2, 2], [4, 5, 6], [1, 0, 0])
    assert idx[2] == -1 and fo.trust[idx[0]] == 0.2 and fo.creator[idx[1]] == 5
    fans = np.array([1, 1, 2, 1])
    before = fo.find(fans, [4, 9, 5, 4], [1, 0, 0, 1])
    added = fo.add([0, 1, 3, 1, 1], [1, 5, 0, 0, 9], [0, 0, 0, 0, 1], [0.5] * 5)
    # New edges before, between and after a fan's old ones, and in other fans' blocks.
    Follows.shift(before, fans, added)
    np.testing.assert_array_equal(before, fo.find(fans, [4, 9, 5, 4], [1, 0, 0, 1]))
    not_following = np.array([-1])
    Follows.shift(not_following, np.array([0]), added)
    assert not_following[0] == -1
    fo.keep(fo.trust > 0.15)
    assert len(fo) == 7 and fo.follower_counts(10, 2)[4, 1] == 1  # 0.1 edge dropped
    # the per-fan blocks (an edge's fan is its block's) follow every insertion and removal
    assert fo.fan.tolist() == [0, 1, 1, 1, 1, 1, 3]
    assert fo.creator.tolist() == [1, 0, 4, 5, 9, 9, 0]
    np.testing.assert_array_equal(fo.fan_of(np.array([6, 0, 3])), [3, 0, 1])


def test_offsets_are_cumulative_counts_in_the_arrays_dtype():
    """CSR offsets in place, in int32: what ``cumsum(bincount)`` gives, without its int64."""
    from simulation.mechanisms import kernels

    rows = rng(6).integers(0, 50, 400)
    out = np.full(51, 7, np.int32)  # stale values are overwritten
    kernels.offsets(out, rows)
    np.testing.assert_array_equal(out[1:], np.cumsum(np.bincount(rows, minlength=50)))
    assert out[0] == 0 and out.dtype == np.int32


def test_follow_and_friend_offsets_take_four_bytes_a_fan():
    """At a million fans each int64 offset array would cost 8 MB more at the memory line."""
    fo = Follows(5)
    fo.add([3, 0, 3], [1, 2, 4], [0, 0, 1], 0.5)
    fo.keep(np.array([True, False, True]))
    assert fo.fan_ptr.dtype == np.int32 and fo.fan_ptr.tolist() == [0, 1, 1, 1, 2, 2]
    assert SocialGraph.small_world(100, 4, 0.1, rng()).indptr.dtype == np.int32


def test_small_world_graph_is_symmetric_with_expected_degree():
    g = SocialGraph.small_world(1000, 10, 0.1, rng())
    pairs = set(
        zip(np.repeat(np.arange(1000), g.degree()).tolist(), g.indices.tolist(), strict=True)
    )
    assert all((b, a) in pairs for a, b in pairs)
    assert g.degree().mean() == pytest.approx(10, abs=0.3)


# ------------------------------------------------------------------ budgets (mechanism 5)
def test_deals_respect_tier_budgets_preferences_and_one_brand_per_creator():
    tier = np.array([0, 0, 1, 1, 1, 2])
    eligible = np.ones((6, 2, 2), dtype=bool)
    eligible[:, 1, :] = False  # nobody delivers on platform 1
    fees = np.full((6, 2, 2), 50.0)
    fees[:2] = 10.0
    fees[5] = 500.0
    budget = np.array([[100.0, 100.0, 0.0], [0.0, 100.0, 0.0]])
    preference = np.ones((2, 2, 2))
    preference[:, :, 1] = 0.0  # both brands buy short videos only
    deals = budgets.sign_deals(
        rng(), budget, preference, eligible, tier, np.zeros(6, int), np.zeros(2, int), fees
    )
    s, f = deals["sponsor"], deals["fee"]
    assert (s[:2] == 0).all() and f[:2].sum() == 20.0  # both tail creators fit brand 0
    assert (s[2:5] >= 0).sum() == 3 and f[2:5].sum() == 150.0  # three mid creators, shared
    for b in (0, 1):
        assert f[s == b].sum() <= budget[b].sum()
    assert s[5] == -1  # too expensive for anyone
    assert (deals["platform"][s >= 0] == 0).all() and (deals["format"][s >= 0] == 0).all()


def test_fees_rise_with_followers_and_engagement():
    kw = dict(fee_per_real_follower=0.02, fee_floor=500.0, fee_engagement_elasticity=0.5)
    f = budgets.creator_fees(np.array([0.0, 1e5, 1e7]), np.ones(3), **kw)
    assert f.tolist() == [500.0, 2500.0, 200500.0]
    engaging = budgets.creator_fees(np.array([1e5]), np.array([4.0]), **kw)
    assert engaging[0] == 500.0 + 2000.0 * 2


def test_fees_priced_by_reach_pay_the_ad_price_per_thousand_impressions():
    f = budgets.reach_fees(np.array([0.0, 1e6]), ad_cost_per_thousand=50.0, fee_floor=500.0)
    assert f.tolist() == [500.0, 500.0 + 50_000.0]


def test_budget_review_raises_budgets_that_return_and_cuts_the_others():
    new = budgets.review_budget(
        np.full(4, 100.0),
        np.array([300.0, 100.0, 50.0, 0.0]),
        np.array([100.0, 100.0, 100.0, 0.0]),
        return_reference=1.0,
        budget_elasticity=0.5,
        budget_max_raise=0.5,
        budget_max_cut=0.2,
    )
    assert new.tolist() == [150.0, 100.0, 80.0, 100.0]


# ------------------------------------------------------------------ learning (mechanism 5)
def test_multiplicative_weights_moves_budget_to_the_best_arm():
    initial = np.array([[0.25, 0.25, 0.25, 0.25]])
    learner = MultiplicativeWeights(initial, np.ones((1, 4), bool), eta=0.5, exploration=0.0)
    per_yuan = np.array([[1.0, 3.0, 1.0, 0.5]])  # a fixed, known return per yuan per arm
    for _ in range(30):
        spend = 1000 * learner.shares(0)[None, :]
        learner.update(per_yuan * spend, spend)
    shares = learner.shares(0)
    assert shares[1] > 0.95 and np.argmax(shares) == 1
    assert shares.sum() == pytest.approx(1.0)


def test_hedge_follows_mean_returns_not_their_spread():
    """Two arms that return 1 yuan per yuan on average, one always and one 0 or 2 at
    random: a learner must not prefer either. Normalised by the same period's mean (the
    rule before 2026-12-02), the steady arm ended with 0.98 of the weight; against the
    brand's earlier return per yuan each arm's expected step is eta * (E[r] / r_ref - 1),
    equal for both. 4,000 independent brands, 24 periods: the steady arm's mean share has
    a standard error near 0.006 (measured 0.48 on this seed)."""
    n, generator = 4000, rng()
    learner = MultiplicativeWeights(
        np.full((n, 2), 0.5), np.ones((n, 2), bool), eta=0.5, exploration=0.0
    )
    spend = np.full((n, 2), 100.0)
    for _ in range(24):
        volatile = np.where(generator.random(n) < 0.5, 0.0, 2.0)
        learner.update(np.c_[np.ones(n), volatile] * spend, spend)
    assert learner.weights[:, 0].mean() == pytest.approx(0.5, abs=0.05)
    # ... while a better mean still wins: the volatile arm paying 1.5 on average
    learner = MultiplicativeWeights(
        np.full((n, 2), 0.5), np.ones((n, 2), bool), eta=0.5, exploration=0.0
    )
    for _ in range(24):
        volatile = np.where(generator.random(n) < 0.5, 0.0, 3.0)
        learner.update(np.c_[np.ones(n), volatile] * spend, spend)
    assert learner.weights[:, 1].mean() > 0.8


def test_learning_rate_zero_keeps_the_initial_split():
    initial = np.array([[0.1, 0.2, 0.3, 0.4]])
    learner = MultiplicativeWeights(initial, np.ones((1, 4), bool), eta=0.0, exploration=0.0)
    learner.update(np.array([[0.0, 0.0, 0.0, 1e6]]), np.ones((1, 4)))
    np.testing.assert_allclose(learner.shares(0), initial[0])


def test_unavailable_and_unobserved_arms():
    available = np.array([[True, True, False]])
    learner = MultiplicativeWeights(
        np.array([[0.5, 0.3, 0.2]]), available, eta=1.0, exploration=0.1
    )
    assert learner.shares(0)[2] == 0.0 and learner.shares(0).sum() == pytest.approx(1.0)
    before = learner.weights.copy()
    learner.update(np.array([[5.0, 0.0, 0.0]]), np.array([[1.0, 0.0, 0.0]]))
    assert learner.weights[0, 0] == pytest.approx(before[0, 0])  # only evidence moves weights


# ------------------------------------------------------------------ live streams
def test_followers_arrive_early_and_trusting_viewers_stay_longer():
    n = 20_000
    follower = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    trust_ = np.r_[np.full(n, 0.9), np.full(n, 0.1)]
    arrival, watched = livestream.sessions(
        rng(),
        follower,
        trust_,
        stream_minutes=180.0,
        dwell_minutes=20.0,
        follower_arrival_skew=3.0,
    )
    assert arrival[:n].mean() < 0.3 * 180 < arrival[n:].mean()
    assert watched[:n].mean() > 1.5 * watched[n:].mean()
    assert (arrival + watched <= 180.0 + 1e-4).all()  # up to float32 rounding
    factor = livestream.watch_factor(np.array([0.0, 15.0, 1e6]), conversion_minutes=15.0)
    np.testing.assert_allclose(factor, [0.0, 1 - np.exp(-1), 1.0])


def test_peak_concurrent_viewers():
    stream = np.array([0, 0, 0, 1])
    arrival = np.array([0.0, 10.0, 100.0, 0.0])
    watched = np.array([30.0, 30.0, 10.0, 5.0])
    peaks = livestream.peak_concurrent(
        stream, arrival, watched, 2, stream_minutes=180.0, tick_minutes=5.0
    )
    assert peaks.tolist() == [2.0, 1.0]


# ------------------------------------------------------------------ competition (mechanism 6)
def test_an_attractive_platform_gains_attention_share():
    a = np.array([[0.5, 0.5], [0.9, 0.1]])
    sat = np.full((2, 2), np.nan)
    for _ in range(50):  # platform 1 gives one engagement per impression, platform 0 none
        rewards = np.array([[0.0, 1.0]] * 2)
        sat = attention.update_satisfaction(sat, np.ones((2, 2)), rewards, satisfaction_memory=0.1)
        a = attention.shift_attention(a, sat, attention_mobility=1.0, attention_floor=0.01)
    assert (a[:, 1] > 0.7).all() and np.allclose(a.sum(axis=1), 1)
    still = attention.shift_attention(
        np.array([[0.9, 0.1]]), sat[:1], attention_mobility=0.0, attention_floor=0.01
    )
    assert still.tolist() == [[0.9, 0.1]]


def test_satisfaction_is_unchanged_where_nothing_was_seen():
    sat = attention.update_satisfaction(
        np.array([[0.3, 0.3, np.nan]]),
        np.array([[0, 4, 2]]),
        np.array([[0.0, 2.0, 1.0]]),
        satisfaction_memory=0.5,
    )
    np.testing.assert_allclose(sat, [[0.3, 0.4, 0.5]])


def test_an_unknown_platform_counts_as_average():
    a = np.array([[0.3, 0.3, 0.4]])
    sat = np.array([[0.2, 0.2, np.nan]])  # the fan never saw platform 2: no push either way
    shifted = attention.shift_attention(a, sat, attention_mobility=5.0, attention_floor=0.0)
    np.testing.assert_allclose(shifted, a, rtol=1e-6)


def test_platforms_adopt_formats_that_out_engage_their_content():
    carries = np.array([[True, False, False], [True, True, False]])
    rate = np.array([0.05, 0.2, np.nan])  # format 1 engages best; nobody carries format 2
    own = np.array([0.05, 0.1])
    out = formats.adopt_formats(rng(), carries, rate, own, convergence_rate=1.0)
    assert out.tolist() == [[True, True, False], [True, True, False]]
    assert (formats.adopt_formats(rng(), carries, rate, own, convergence_rate=0.0) == carries).all()
    post = formats.draw_formats(rng(), out, 1000)
    assert set(post[:, 0]) == {0, 1} and post.shape == (1000, 2)


def test_a_post_takes_one_of_the_formats_its_platform_carries_each_as_likely():
    carries = np.array([[True, False, True, True], [False, True, False, False], [False] * 4])
    n = 6000
    drawn = formats.draw_formats(rng(3), carries, n)
    # The inverse of each platform's cumulative distribution at the same uniforms.
    u = rng(3).random((n, 3))
    cum = np.cumsum(carries / np.maximum(carries.sum(1, keepdims=True), 1), axis=1)
    inverse = np.stack([np.searchsorted(cum[p], u[:, p]) for p in range(3)], axis=1)
    np.testing.assert_array_equal(drawn, np.minimum(inverse, 3))
    assert set(drawn[:, 0]) == {0, 2, 3} and (drawn[:, 1] == 1).all()
    share = np.bincount(drawn[:, 0], minlength=4)[[0, 2, 3]] / n
    np.testing.assert_allclose(share, 1 / 3, atol=4 * np.sqrt(2 / 9 / n))  # 4 binomial sd


def test_creators_move_toward_attention_and_leave_dead_platforms():
    posts_on = np.array([[True, True, False]] * 1000)
    followers = np.array([[5, 0, 0]] * 1000)
    movable = np.ones(1000, bool)
    out = growth.move_platforms(
        rng(), posts_on, followers, np.array([0.0, 0.0, 1.0]), movable, creator_mobility=1.0
    )
    assert out[:, 0].all() and not out[:, 1].any() and out[:, 2].all()
    frozen = growth.move_platforms(
        rng(), posts_on, followers, np.ones(3), movable, creator_mobility=0.0
    )
    assert (frozen == posts_on).all()


def test_hedge_update_survives_an_arm_returning_thousands_of_times_the_mean():
    mw = MultiplicativeWeights(
        np.full((1, 3), 1 / 3), np.ones((1, 3), bool), eta=1.0, exploration=0
    )
    mw.update(np.ones((1, 3)), np.ones((1, 3)))  # a first period: a yuan returned 1
    # 1 yuan on arm 0 returned 1e6; 1e9 yuan on arm 2 returned nothing: rel ~ 1e6 for arm 0
    mw.update(np.array([[1e6, 0.0, 0.0]]), np.array([[1.0, 0.0, 1e9]]))
    assert np.isfinite(mw.weights).all()
    assert mw.weights[0] == pytest.approx([1.0, 0.0, 0.0])
    # an ordinary step is unchanged by the guard: exp(rel) with rel = r / r_ref - 1, r_ref
    # what a yuan returned in earlier periods (the first period only sets it: no move)
    mw = MultiplicativeWeights(np.full((1, 2), 0.5), np.ones((1, 2), bool), eta=1.0, exploration=0)
    mw.update(np.array([[2.0, 2.0]]), np.array([[1.0, 1.0]]))
    assert mw.weights[0] == pytest.approx([0.5, 0.5])
    mw.update(np.array([[3.0, 1.0]]), np.array([[1.0, 1.0]]))
    w = np.array([np.exp(3 / 2 - 1), np.exp(1 / 2 - 1)])
    assert mw.weights[0] == pytest.approx(w / w.sum())


# ------------------------------------------------------------------ a growing market
def test_joiners_are_waiting_fans_at_the_daily_hazard():
    joined = np.zeros(200_000, bool)
    joined[::2] = True  # 100,000 wait
    fans = growth.joiners(rng(3), joined, join_rate=36.5)  # 10% of them a day
    assert not joined[fans].any() and (np.diff(fans) > 0).all()
    assert fans.size == pytest.approx(10_000, abs=4 * np.sqrt(100_000 * 0.1 * 0.9))
    assert growth.joiners(rng(3), np.ones(10, bool), join_rate=36.5).size == 0


def test_a_fan_who_has_not_joined_gets_no_slot():
    n_fans = 2_000
    joined = np.arange(n_fans) < 500
    fan, *_, k = distribution.distribute(
        rng(5),
        np.ones((n_fans, 1), np.float32),
        np.ones((n_fans, 1), np.float32),
        [_feed(np.zeros(6, int))],
        np.zeros((6, 1), bool),
        Follows(n_fans),
        SocialGraph.small_world(n_fans, 0, 0, rng()),
        np.full(n_fans, -1, np.int32),
        impressions_per_day=np.array([4.0]),
        weights=np.array([[1.0, 0.0, 0.0, 0.0]]),
        stream_attendance=0.0,
        joined=joined,
    )
    assert fan.max() < 500
    assert k == pytest.approx(500 * 4.0, abs=4 * np.sqrt(2_000))  # Poisson(4) each
