-- The monitoring report counts home visits made on the first working day
-- after discharge; without this it scans every task.
CREATE INDEX rm_tasks_home_visits ON rm_tasks (pathway_id) WHERE kind = 'home_visit';
