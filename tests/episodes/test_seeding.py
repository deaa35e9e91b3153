import dspy

from fama_dspy.episodes.seeding import rollout_id, seed_agent, trial_lm


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


def test_the_rollout_id_mixes_the_task_into_the_seed_deterministically():
    assert rollout_id(3) == 3 and rollout_id(None, "t") is None
    twins = rollout_id(0, "agent_multi_step_15"), rollout_id(0, "agent_multi_step_17")
    assert twins[0] != twins[1] and twins[0] == rollout_id(0, "agent_multi_step_15")
    assert rollout_id(0, "a") != rollout_id(1, "a") and all(isinstance(r, int) for r in twins)
    sampling = dspy.LM("openai/m", temperature=0.7, cache=False)
    assert trial_lm(sampling, 0, "a").kwargs["rollout_id"] == rollout_id(0, "a")


def test_seed_agent_names_the_task_to_agents_that_take_one():
    class Taker:
        seed = task = None

        def set_seed(self, seed):
            self.seed = seed

        def set_task(self, task_id):
            self.task = task_id

    agent = seed_agent(Taker(), 5, "t1")
    assert (agent.task, agent.seed) == ("t1", 5)


def test_twin_tasks_that_open_alike_sample_apart_and_each_episode_replays_only_itself():
    # ACEBench pairs tasks that share a question: keyed by the seed alone the second task of a pair
    # was served the first one's answers from the response cache.
    import uuid

    from scripted_lm import ScriptedEngine

    from fama_dspy.bench.trials import TrialRollouts, TrialSampledAgent

    engine = ScriptedEngine({"unknown": ["an answer"]})
    lm = dspy.LM(f"scripted/{uuid.uuid4().hex}", engine=engine, cache=True, temperature=0.7, num_retries=0)
    rollouts = TrialRollouts()

    def episode(task_id, seed):
        agent = TrialSampledAgent(lambda state: dspy.settings.lm("the same opening prompt"), rollouts)
        seed_agent(agent, seed, task_id)
        with dspy.context(lm=lm):
            agent(state=None)

    for task_id, seed in [("twin_a", 0), ("twin_b", 0), ("twin_a", 1), ("twin_a", 0)]:
        episode(task_id, seed)
    assert len(engine.calls) == 3  # a, its twin, a's trial 1; a's trial 0 again is its own replay
