"""Pages of the approval process. They call the workflow service directly as the signed-in user;
a Problem from the service becomes Norwegian field errors on the same page (403 and 404
propagate and become error pages)."""

from frontend.workflow.case_page import (
    attachment_download,
    attachment_upload,
    case_assign,
    case_comment,
    case_decide,
    case_view,
    checklist_confirm,
)
from frontend.workflow.inbox import (
    email_confirm,
    email_confirm_page,
    notification_list,
    notification_read,
    notification_settings,
    notification_settings_save,
    task_list,
)
from frontend.workflow.revisions import revision_overview
from frontend.workflow.proposing import (
    decline_wish,
    duplicate_check,
    my_proposals,
    my_wishes,
    proposal_create,
    proposal_edit,
    proposal_edit_form,
    proposal_form,
    wish_create,
    wish_form,
)

workflow_page_handlers: list = [
    proposal_form, proposal_create, duplicate_check, my_proposals, decline_wish,
    wish_form, wish_create, my_wishes,
    task_list,
    case_view, case_decide, proposal_edit_form, proposal_edit, checklist_confirm, case_assign, case_comment,
    attachment_upload, attachment_download,
    notification_list, notification_read, notification_settings, notification_settings_save,
    email_confirm_page, email_confirm, revision_overview,
]
