"""Every staff-facing route handler of the web app, in one list (webhooks come from connectors/)."""

from __future__ import annotations

from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from web.account import set_password_page, set_password_save
from web.account_routes import ACCOUNT_HANDLERS
from web.admin.audit import (
    audit_access_report,
    audit_export,
    audit_page,
    audit_patient_search,
    audit_verify,
)
from web.admin.chat import chat_source_add, chat_source_page, chat_sources_page
from web.admin.forms import form_add, form_page, form_rotate, form_test, forms_page
from web.admin.index import admin_index
from web.admin.locations import (
    location_active,
    location_add,
    location_closure,
    location_page,
    location_save,
    locations_page,
)
from web.admin.phones import phones_add_number, phones_page, phones_remove_number, phones_save_settings
from web.admin.platform import (
    agent_active,
    call_center_add,
    call_center_agent,
    call_center_practices,
    call_centers_page,
    practice_add,
    practices_page,
)
from web.admin.pms import pms_export_upload, pms_page, pms_save
from web.admin.practice import settings_page, settings_save
from web.admin.spend import spend_page, spend_upload
from web.admin.staff import (
    staff_invite,
    staff_member_active,
    staff_member_link,
    staff_member_page,
    staff_member_save,
    staff_page,
)
from web.api import LeadsController
from web.attribution_page import attribution_body, attribution_page, attribution_run_now
from web.auth_routes import login, login_page, logout, second_factor, second_factor_page, second_factor_qr
from web.board_actions import BoardActions
from web.break_glass import break_glass_end, break_glass_page, break_glass_start
from web.chat import LEAD_FRAGMENT_HANDLERS
from web.dashboard import dashboard_export, dashboard_page, dashboard_panel
from web.funnel_page import funnel_checks, funnel_checks_resolve, funnel_checks_run, funnel_leads, funnel_view
from web.health import healthz, readyz
from web.inbox import inbox_alert_handled, inbox_list, inbox_page, inbox_unread
from web.matching_review import matching_accept, matching_reject, matching_review
from web.models_admin import model_card_page, model_promote, model_roll_back
from web.models_page import history_upload, models_page
from web.nurture import NURTURE_HANDLERS
from web.nurture_public import NURTURE_PUBLIC_HANDLERS
from web.overflow import OverflowConsole, overflow_lead_page, overflow_page
from web.pages import board_leads, board_search, home
from web.paths import STATIC_DIR
from web.patient_export import export_download, export_page
from web.phone_actions import PhoneActions
from web.referrals import REFERRER_HANDLERS
from web.referrers import REFERRERS_HANDLERS
from web.reminders import no_show_page, reminders_page, reminders_settings_save
from web.reviews import REVIEW_HANDLERS
from web.status import status_json, status_page
from web.timeline import call_recording, lead_live, stop_follow_up_action, timeline_page
from web.ws import board_socket

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    healthz,
    readyz,
    status_page,
    status_json,
    home,
    board_leads,
    board_search,
    BoardActions,
    board_socket,
    login_page,
    login,
    logout,
    second_factor_page,
    second_factor_qr,
    second_factor,
    *ACCOUNT_HANDLERS,
    *REFERRER_HANDLERS,
    *REFERRERS_HANDLERS,
    *LEAD_FRAGMENT_HANDLERS,
    *REVIEW_HANDLERS,
    LeadsController,
    models_page,
    history_upload,
    funnel_view,
    funnel_leads,
    funnel_checks,
    funnel_checks_run,
    funnel_checks_resolve,
    matching_review,
    matching_accept,
    matching_reject,
    model_card_page,
    model_promote,
    model_roll_back,
    PhoneActions,
    overflow_page,
    overflow_lead_page,
    OverflowConsole,
    dashboard_page,
    dashboard_panel,
    dashboard_export,
    timeline_page,
    stop_follow_up_action,
    inbox_page,
    inbox_list,
    inbox_alert_handled,
    reminders_page,
    reminders_settings_save,
    no_show_page,
    inbox_unread,
    lead_live,
    call_recording,
    break_glass_page,
    break_glass_start,
    break_glass_end,
    export_page,
    export_download,
    attribution_page,
    attribution_run_now,
    attribution_body,
    admin_index,
    settings_page,
    settings_save,
    locations_page,
    location_add,
    location_page,
    location_save,
    location_closure,
    location_active,
    staff_page,
    staff_invite,
    staff_member_page,
    staff_member_save,
    staff_member_active,
    staff_member_link,
    set_password_page,
    set_password_save,
    forms_page,
    chat_sources_page,
    chat_source_add,
    chat_source_page,
    form_add,
    form_page,
    form_rotate,
    form_test,
    audit_page,
    audit_export,
    audit_patient_search,
    audit_access_report,
    audit_verify,
    phones_page,
    phones_add_number,
    phones_remove_number,
    phones_save_settings,
    spend_page,
    spend_upload,
    pms_page,
    pms_save,
    pms_export_upload,
    practices_page,
    practice_add,
    call_centers_page,
    call_center_add,
    call_center_practices,
    call_center_agent,
    agent_active,
    *NURTURE_HANDLERS,
    *NURTURE_PUBLIC_HANDLERS,
    create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
]
