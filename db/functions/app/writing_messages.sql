-- Messages for the writing tables' constraints: a refused row reaches the client with the
-- constraint's comment as its message (the engine reads `comment on constraint` into its schema
-- cache; PostgreSQL's own message, naming the constraint, moves to `details`). Written so a user can
-- act on it: what the value must be, or what to do instead. tests/db/writing_catalog.sql asks
-- that every check, unique and foreign-key constraint of the writing tables has one.
-- requires: writing

-- app.assignment_submissions
comment on constraint assignment_submissions_ai_interactions_check on app.assignment_submissions is 'ai_interactions must be a JSON array.';
comment on constraint assignment_submissions_analytics_check on app.assignment_submissions is 'analytics must be a JSON object.';
comment on constraint assignment_submissions_assignment_id_author_id_key on app.assignment_submissions is 'You already have a submission for this assignment: open it instead of starting another.';
comment on constraint assignment_submissions_assignment_id_institution_id_fkey on app.assignment_submissions is 'The assignment does not exist in your institution.';
comment on constraint assignment_submissions_author_id_institution_id_fkey on app.assignment_submissions is 'The author must be a member of your institution.';
comment on constraint assignment_submissions_check on app.assignment_submissions is 'A graded submission needs a grade: grade it with /rpc/grade_submission.';
comment on constraint assignment_submissions_check1 on app.assignment_submissions is 'Submitted, returned or graded work needs a submission time: submit it with /rpc/submit_submission.';
comment on constraint assignment_submissions_collaboration_settings_check on app.assignment_submissions is 'collaboration_settings must be a JSON object.';
comment on constraint assignment_submissions_content_check on app.assignment_submissions is 'content is too long: at most 1 000 000 characters.';
comment on constraint assignment_submissions_feedback_check on app.assignment_submissions is 'feedback is too long: at most 50 000 characters.';
comment on constraint assignment_submissions_grade_check on app.assignment_submissions is 'grade must be between 0 and 100.';
comment on constraint assignment_submissions_graded_by_fkey on app.assignment_submissions is 'The grader must be a known user.';
comment on constraint assignment_submissions_institution_id_fkey on app.assignment_submissions is 'The institution does not exist.';
comment on constraint assignment_submissions_milestones_check on app.assignment_submissions is 'milestones must be a JSON array.';
comment on constraint assignment_submissions_rubric_scores_check on app.assignment_submissions is 'rubric_scores must be a JSON array.';
comment on constraint assignment_submissions_status_check on app.assignment_submissions is 'status must be one of: not_started, in_progress, submitted, returned, graded.';
comment on constraint assignment_submissions_title_check on app.assignment_submissions is 'title is too long: at most 200 characters.';

-- app.assignment_templates
comment on constraint assignment_templates_ai_settings_check on app.assignment_templates is 'ai_settings must be a JSON object.';
comment on constraint assignment_templates_description_check on app.assignment_templates is 'description is too long: at most 10 000 characters.';
comment on constraint assignment_templates_grading_criteria_check on app.assignment_templates is 'grading_criteria must be a JSON array.';
comment on constraint assignment_templates_institution_id_fkey on app.assignment_templates is 'The institution does not exist.';
comment on constraint assignment_templates_instructions_check on app.assignment_templates is 'instructions is too long: at most 100 000 characters.';
comment on constraint assignment_templates_instructor_id_institution_id_fkey on app.assignment_templates is 'The instructor must be a member of your institution.';
comment on constraint assignment_templates_learning_objectives_check on app.assignment_templates is 'learning_objectives must be a JSON array.';
comment on constraint assignment_templates_requirements_check on app.assignment_templates is 'requirements must be a JSON object.';
comment on constraint assignment_templates_tags_check on app.assignment_templates is 'tags must not contain null.';
comment on constraint assignment_templates_title_check on app.assignment_templates is 'title must not be empty, and at most 200 characters.';
comment on constraint assignment_templates_usage_count_check on app.assignment_templates is 'usage_count must not be negative.';
comment on constraint assignment_templates_writing_stages_check on app.assignment_templates is 'writing_stages must be a JSON array.';

-- app.assignments
comment on constraint assignments_ai_settings_check on app.assignments is 'ai_settings must be a JSON object.';
comment on constraint assignments_collaboration_settings_check on app.assignments is 'collaboration_settings must be a JSON object.';
comment on constraint assignments_course_id_institution_id_fkey on app.assignments is 'The course does not exist in your institution.';
comment on constraint assignments_course_id_template_id_key on app.assignments is 'This course already has an assignment made from this template: edit that one instead.';
comment on constraint assignments_description_check on app.assignments is 'description is too long: at most 10 000 characters.';
comment on constraint assignments_grading_criteria_check on app.assignments is 'grading_criteria must be a JSON array.';
comment on constraint assignments_institution_id_fkey on app.assignments is 'The institution does not exist.';
comment on constraint assignments_instructions_check on app.assignments is 'instructions is too long: at most 100 000 characters.';
comment on constraint assignments_instructor_id_institution_id_fkey on app.assignments is 'The instructor must be a member of your institution.';
comment on constraint assignments_learning_objectives_check on app.assignments is 'learning_objectives must be a JSON array.';
comment on constraint assignments_requirements_check on app.assignments is 'requirements must be a JSON object.';
comment on constraint assignments_stage_due_dates_check on app.assignments is 'stage_due_dates must be a JSON object.';
comment on constraint assignments_status_check on app.assignments is 'status must be one of: draft, published, in_progress, completed, archived.';
comment on constraint assignments_template_id_fkey on app.assignments is 'The template does not exist.';
comment on constraint assignments_title_check on app.assignments is 'title must not be empty, and at most 200 characters.';
comment on constraint assignments_type_check on app.assignments is 'type must be one of: individual, collaborative.';
comment on constraint assignments_version_control_settings_check on app.assignments is 'version_control_settings must be a JSON object.';
comment on constraint assignments_writing_stages_check on app.assignments is 'writing_stages must be a JSON array.';

-- app.course_enrollments
comment on constraint course_enrollments_course_id_institution_id_fkey on app.course_enrollments is 'The course does not exist in your institution.';
comment on constraint course_enrollments_course_id_student_id_key on app.course_enrollments is 'This student is already enrolled in the course (change the enrolment''s status instead).';
comment on constraint course_enrollments_institution_id_fkey on app.course_enrollments is 'The institution does not exist.';
comment on constraint course_enrollments_status_check on app.course_enrollments is 'status must be one of: active, dropped, completed.';
comment on constraint course_enrollments_student_id_institution_id_fkey on app.course_enrollments is 'The student must be a member of the course''s institution.';

-- app.courses
comment on constraint courses_check on app.courses is 'ends_on must not be before starts_on.';
comment on constraint courses_description_check on app.courses is 'description is too long: at most 10 000 characters.';
comment on constraint courses_enrolled_count_check on app.courses is 'enrolled_count must not be negative.';
comment on constraint courses_enrollment_code_check on app.courses is 'enrollment_code must be 6 to 16 capital letters or digits.';
comment on constraint courses_institution_id_enrollment_code_key on app.courses is 'Another course of your institution already uses this enrollment code: pick another one.';
comment on constraint courses_institution_id_fkey on app.courses is 'The institution does not exist.';
comment on constraint courses_instructor_id_institution_id_fkey on app.courses is 'The instructor must be a member of your institution.';
comment on constraint courses_max_students_check on app.courses is 'max_students must be between 1 and 10000.';
comment on constraint courses_settings_check on app.courses is 'settings must be a JSON object.';
comment on constraint courses_status_check on app.courses is 'status must be one of: planning, active, completed, archived.';
comment on constraint courses_subject_check on app.courses is 'subject is too long: at most 100 characters.';
comment on constraint courses_tags_check on app.courses is 'tags must not contain null.';
comment on constraint courses_title_check on app.courses is 'title must not be empty, and at most 200 characters.';

-- app.document_collaborators
comment on constraint document_collaborators_document_id_institution_id_fkey on app.document_collaborators is 'The document does not exist in your institution.';
comment on constraint document_collaborators_institution_id_fkey on app.document_collaborators is 'The institution does not exist.';
comment on constraint document_collaborators_permission_check on app.document_collaborators is 'permission must be one of: view, comment, edit.';
comment on constraint document_collaborators_user_id_institution_id_fkey on app.document_collaborators is 'A collaborator must be a member of your institution.';

-- app.document_versions
comment on constraint document_versions_author_id_fkey on app.document_versions is 'The version''s author must be a known user.';
comment on constraint document_versions_changes_check on app.document_versions is 'changes must be a JSON object.';
comment on constraint document_versions_document_id_institution_id_fkey on app.document_versions is 'The document does not exist in your institution.';
comment on constraint document_versions_document_id_version_number_key on app.document_versions is 'This version of the document already exists: save again to write the next one.';
comment on constraint document_versions_institution_id_fkey on app.document_versions is 'The institution does not exist.';
comment on constraint document_versions_metadata_check on app.document_versions is 'metadata must be a JSON object.';
comment on constraint document_versions_version_number_check on app.document_versions is 'version_number must be positive.';
comment on constraint document_versions_words_added_check on app.document_versions is 'words_added must not be negative.';
comment on constraint document_versions_words_removed_check on app.document_versions is 'words_removed must not be negative.';

-- app.documents
comment on constraint documents_assignment_id_institution_id_fkey on app.documents is 'The assignment does not exist in your institution.';
comment on constraint documents_author_id_institution_id_fkey on app.documents is 'The author must be a member of your institution.';
comment on constraint documents_content_check on app.documents is 'content is too long: at most 1 000 000 characters.';
comment on constraint documents_course_id_institution_id_fkey on app.documents is 'The course does not exist in your institution.';
comment on constraint documents_current_version_check on app.documents is 'current_version must not be negative.';
comment on constraint documents_institution_id_fkey on app.documents is 'The institution does not exist.';
comment on constraint documents_metadata_check on app.documents is 'metadata must be a JSON object.';
comment on constraint documents_settings_check on app.documents is 'settings must be a JSON object.';
comment on constraint documents_status_check on app.documents is 'status must be one of: active, submitted, archived.';
comment on constraint documents_submission_id_institution_id_fkey on app.documents is 'The submission does not exist in your institution.';
comment on constraint documents_title_check on app.documents is 'title must not be empty, and at most 200 characters.';
comment on constraint documents_type_check on app.documents is 'type must be one of: draft, outline, notes, reflection, final, other.';

-- app.notifications
comment on constraint notifications_category_check on app.notifications is 'category must be one of: general, assignment, submission, feedback, course, writing, system.';
comment on constraint notifications_context_check on app.notifications is 'context must be a JSON object.';
comment on constraint notifications_institution_id_fkey on app.notifications is 'The institution does not exist.';
comment on constraint notifications_intervention_check on app.notifications is 'intervention must be a JSON object.';
comment on constraint notifications_message_check on app.notifications is 'message is too long: at most 5 000 characters.';
comment on constraint notifications_priority_check on app.notifications is 'priority must be one of: low, normal, high, urgent.';
comment on constraint notifications_recipient_id_institution_id_fkey on app.notifications is 'The recipient must be a member of your institution.';
comment on constraint notifications_related_metrics_check on app.notifications is 'related_metrics must be a JSON object.';
comment on constraint notifications_sender_id_fkey on app.notifications is 'The sender must be a known user.';
comment on constraint notifications_status_check on app.notifications is 'status must be one of: unread, read, archived.';
comment on constraint notifications_title_check on app.notifications is 'title must not be empty, and at most 200 characters.';
comment on constraint notifications_type_check on app.notifications is 'type must be 2 to 50 lower-case letters or underscores, starting with a letter (e.g. comment_added).';

-- app.submission_collaborators
comment on constraint submission_collaborators_institution_id_fkey on app.submission_collaborators is 'The institution does not exist.';
comment on constraint submission_collaborators_permission_check on app.submission_collaborators is 'permission must be one of: view, comment, edit.';
comment on constraint submission_collaborators_submission_id_institution_id_fkey on app.submission_collaborators is 'The submission does not exist in your institution.';
comment on constraint submission_collaborators_user_id_institution_id_fkey on app.submission_collaborators is 'A collaborator must be a member of your institution.';

-- app.submission_comments
comment on constraint submission_comments_author_id_institution_id_fkey on app.submission_comments is 'The author must be a member of your institution.';
comment on constraint submission_comments_check on app.submission_comments is 'A comment cannot reply to itself.';
comment on constraint submission_comments_content_check on app.submission_comments is 'content must not be empty, and at most 10000 characters.';
comment on constraint submission_comments_highlighted_text_check on app.submission_comments is 'highlighted_text is too long: at most 10 000 characters.';
comment on constraint submission_comments_institution_id_fkey on app.submission_comments is 'The institution does not exist.';
comment on constraint submission_comments_parent_id_submission_id_fkey on app.submission_comments is 'The comment replied to must be on the same submission.';
comment on constraint submission_comments_position_check on app.submission_comments is 'position must be a JSON object.';
comment on constraint submission_comments_resolved_by_fkey on app.submission_comments is 'resolved_by must be a known user.';
comment on constraint submission_comments_submission_id_institution_id_fkey on app.submission_comments is 'The submission does not exist in your institution.';
comment on constraint submission_comments_type_check on app.submission_comments is 'type must be one of: general, inline, suggestion, question, praise.';

-- app.writing_sessions
comment on constraint writing_sessions_activity_check on app.writing_sessions is 'activity must be a JSON object.';
comment on constraint writing_sessions_check on app.writing_sessions is 'ended_at must not be before started_at.';
comment on constraint writing_sessions_document_id_institution_id_fkey on app.writing_sessions is 'The document does not exist in your institution.';
comment on constraint writing_sessions_institution_id_fkey on app.writing_sessions is 'The institution does not exist.';
comment on constraint writing_sessions_productivity_check on app.writing_sessions is 'productivity must be a JSON object.';
comment on constraint writing_sessions_snapshots_check on app.writing_sessions is 'snapshots must be a JSON array.';
comment on constraint writing_sessions_user_id_institution_id_fkey on app.writing_sessions is 'The writer must be a member of your institution.';
comment on constraint writing_sessions_words_added_check on app.writing_sessions is 'words_added must not be negative.';
comment on constraint writing_sessions_words_removed_check on app.writing_sessions is 'words_removed must not be negative.';
