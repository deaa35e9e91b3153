import dspy

from fama_dspy.episodes.seeding import seed_agent, trial_lm


def test_a_sampling_lm_gets_one_rollout_per_trial_and_a_greedy_one_stays_as_is():
    sampling = dspy.LM("openai/m", temperature=0.7, cache=False)
    first, second = trial_lm(sampling, 0), trial_lm(sampling, 1)
    assert (first.kwargs["rollout_id"], second.kwargs["rollout_id"]) == (0, 1)
    assert "rollout_id" not in sampling.kwargs  # the caller's LM is not changed
    greedy = dspy.LM("openai/m", temperature=0.0, cache=False)
    assert (
        trial_lm(greedy, 1) is greedy and trial_lm(sampling, None) is sampling and trial_lm(None, 1) is None
    )


def test_seed_agent_tells_agents_that_take_a_seed_and_leaves_others_alone():
    class Taker:
        seed = None

        def set_seed(self, seed):
            self.seed = seed

    assert seed_agent(Taker(), 5).seed == 5
    plain = object()
    assert seed_agent(plain, 5) is plain and seed_agent(Taker(), None).seed is None
