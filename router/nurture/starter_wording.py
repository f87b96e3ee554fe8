"""The ready-made wording every practice starts with (English and Spanish), editable like any other.

Texts carry only the first name and the practice (a phone's lock screen is public); emails may say
what the person asked about. Every text says how to stop them.
"""

from __future__ import annotations

TREATMENTS = ("orthodontics", "implants", "cosmetic", "general", "pediatric", "emergency")

WHY: dict[str, dict[str, str]] = {
    "orthodontics": {
        "en": "Straightening teeth is easier to plan than most people think. At a free consultation we "
        "take photos and a scan, show you what braces or clear aligners would do, and go through the "
        "cost and monthly payment options before you decide anything.",
        "es": "Alinear los dientes es más sencillo de planear de lo que parece. En una consulta gratuita "
        "tomamos fotos y un escaneo, le mostramos qué lograrían los frenos o los alineadores "
        "transparentes y repasamos el costo y los pagos mensuales antes de que decida nada.",
    },
    "implants": {
        "en": "An implant consultation starts with a 3D scan so the doctor can see the bone and plan "
        "exactly where an implant would go. You leave with a written plan, the number of visits and "
        "the full cost, including what insurance may cover.",
        "es": "La consulta de implantes empieza con un escaneo 3D para que el doctor vea el hueso y "
        "planee dónde iría el implante. Se lleva un plan por escrito, el número de visitas y el costo "
        "total, incluido lo que su seguro podría cubrir.",
    },
    "cosmetic": {
        "en": "Whether it is whitening, bonding or veneers, we start with a short visit to talk about "
        "the smile you want, show you examples and give you a clear price for each option.",
        "es": "Ya sea blanqueamiento, resinas o carillas, empezamos con una visita corta para hablar de "
        "la sonrisa que desea, mostrarle ejemplos y darle un precio claro de cada opción.",
    },
    "general": {
        "en": "A checkup and cleaning takes about an hour. We welcome new patients, accept most major "
        "insurance plans and will check your benefits before your visit.",
        "es": "Una revisión y limpieza dura alrededor de una hora. Recibimos pacientes nuevos, aceptamos "
        "la mayoría de los seguros y revisamos sus beneficios antes de su visita.",
    },
    "pediatric": {
        "en": "Children's visits are short, friendly and unhurried. We explain everything in kid-sized "
        "words and parents are welcome in the room the whole time.",
        "es": "Las visitas de los niños son cortas, amables y sin prisas. Explicamos todo con palabras "
        "sencillas y los padres pueden quedarse en la sala todo el tiempo.",
    },
    "emergency": {
        "en": "We keep time open every day for urgent visits. If you are in pain, call us and we will "
        "do our best to see you today.",
        "es": "Reservamos espacio todos los días para urgencias. Si tiene dolor, llámenos y haremos lo "
        "posible por atenderle hoy.",
    },
}

WELCOME = {
    "en": (
        "Thanks for reaching out to {{ practice_name }}, {{ first_name }}",
        "Hi {{ first_name }},\n\nThank you for asking us about {{ treatment }}. {why}\n\n"
        "You can pick a time that suits you here: {{ scheduling_link }}\n\n"
        "Or call us at {{ office_phone }} and we will find a time together.\n\n"
        "The team at {{ practice_name }}",
    ),
    "es": (
        "Gracias por escribir a {{ practice_name }}, {{ first_name }}",
        "Hola {{ first_name }}:\n\nGracias por preguntarnos por {{ treatment }}. {why}\n\n"
        "Puede elegir el horario que le convenga aquí: {{ scheduling_link }}\n\n"
        "O llámenos al {{ office_phone }} y buscamos una hora juntos.\n\n"
        "El equipo de {{ practice_name }}",
    ),
}
FOLLOW_UP = {
    "en": (
        "Still thinking it over, {{ first_name }}?",
        "Hi {{ first_name }},\n\nMany of our patients have questions before they book: what it costs, "
        "whether insurance helps, how many visits it takes. We are happy to answer them by phone at "
        "{{ office_phone }}, with no obligation.\n\nWhen you are ready, you can book here: "
        "{{ scheduling_link }}\n\nThe team at {{ practice_name }}",
    ),
    "es": (
        "¿Todavía lo está pensando, {{ first_name }}?",
        "Hola {{ first_name }}:\n\nMuchos pacientes tienen preguntas antes de reservar: el costo, si el "
        "seguro ayuda, cuántas visitas hacen falta. Con gusto las respondemos por teléfono al "
        "{{ office_phone }}, sin compromiso.\n\nCuando esté listo, puede reservar aquí: "
        "{{ scheduling_link }}\n\nEl equipo de {{ practice_name }}",
    ),
}
CHECK_IN = {
    "en": "Hi {{ first_name }}, it's {{ practice_name }}. Just checking you got our email. Want us to "
    "hold a time for you? Reply here or call {{ office_phone }}. Reply STOP to opt out.",
    "es": "Hola {{ first_name }}, le escribe {{ practice_name }}. ¿Recibió nuestro correo? ¿Le "
    "reservamos un horario? Responda aquí o llame al {{ office_phone }}. Responda STOP para no "
    "recibir más mensajes.",
}
URGENT = {
    "en": "Hi {{ first_name }}, it's {{ practice_name }}. We got your message and can usually see "
    "urgent visits today. Call {{ office_phone }} or reply here. Reply STOP to opt out.",
    "es": "Hola {{ first_name }}, le escribe {{ practice_name }}. Recibimos su mensaje y normalmente "
    "podemos atender urgencias hoy. Llame al {{ office_phone }} o responda aquí. Responda STOP para "
    "no recibir más mensajes.",
}
MISSED_CALL = {
    "en": "Sorry we missed your call at {{ practice_name }}! Reply here to text us, or call us back "
    "anytime. Reply STOP to opt out.",
    "es": "¡Perdón por no contestar su llamada en {{ practice_name }}! Responda aquí para escribirnos "
    "o llámenos cuando quiera. Responda STOP para no recibir más mensajes.",
}
REFERRAL_THANKS = {
    "en": (
        "Thank you for the referral, {{ first_name }}",
        "Hi {{ first_name }},\n\nSomeone you know has asked us for care and mentioned you. Thank you "
        "for trusting {{ practice_name }} with the people you care about; it means a lot to our "
        "whole team.\n\nThe team at {{ practice_name }}",
    ),
    "es": (
        "Gracias por recomendarnos, {{ first_name }}",
        "Hola {{ first_name }}:\n\nUna persona que usted conoce nos pidió atención y nos habló de "
        "usted. Gracias por confiar a {{ practice_name }} las personas que le importan; significa "
        "mucho para todo nuestro equipo.\n\nEl equipo de {{ practice_name }}",
    ),
}
REVIEW_REQUEST = {
    "en": (
        "How was your visit to {{ practice_name }}, {{ first_name }}?",
        "Hi {{ first_name }},\n\nThank you for choosing {{ practice_name }}. We hope your first visit "
        "went well. If you have a minute, a short review helps other people find a practice they can "
        "trust:\n\n{{ review_link }}\n\nIf anything was not right, please call us at "
        "{{ office_phone }} first: we want to hear it.\n\nThe team at {{ practice_name }}",
    ),
    "es": (
        "¿Cómo fue su visita a {{ practice_name }}, {{ first_name }}?",
        "Hola {{ first_name }}:\n\nGracias por elegir {{ practice_name }}. Esperamos que su primera "
        "visita haya ido bien. Si tiene un minuto, una reseña breve ayuda a otras personas a encontrar "
        "una práctica de confianza:\n\n{{ review_link }}\n\nSi algo no estuvo bien, llámenos primero "
        "al {{ office_phone }}: queremos saberlo.\n\nEl equipo de {{ practice_name }}",
    ),
}
REVIEW_TEXT = {
    "en": "Hi {{ first_name }}, thanks for visiting {{ practice_name }}! Would you leave us a short "
    "review? {{ review_link }} Reply STOP to opt out.",
    "es": "Hola {{ first_name }}, ¡gracias por visitar {{ practice_name }}! ¿Nos deja una reseña "
    "breve? {{ review_link }} Responda STOP para no recibir más mensajes.",
}
NAMES = {
    "orthodontics": "Orthodontics",
    "implants": "Implants",
    "cosmetic": "Cosmetic",
    "general": "General dentistry",
    "pediatric": "Children's dentistry",
    "emergency": "Emergencies",
}

REMINDER_TEXTS: dict[str, dict[str, str]] = {
    "appointment-confirmation-text": {
        "en": "Hi {{ first_name }}, your visit at {{ practice_name }}, {{ office_name }}, is booked for "
        "{{ appointment_day }} at {{ appointment_time }}. Reply C to confirm, or tell us if you need "
        "another time. Reply STOP to opt out.",
        "es": "Hola {{ first_name }}, su cita en {{ practice_name }}, {{ office_name }}, es el "
        "{{ appointment_day }} a las {{ appointment_time }}. Responda C para confirmar, o díganos si "
        "necesita otro horario. Responda STOP para no recibir más mensajes.",
    },
    "appointment-reminder-text": {
        "en": "Hi {{ first_name }}, a reminder from {{ practice_name }}: we will see you "
        "{{ appointment_day }} at {{ appointment_time }} at {{ office_name }}. Reply C to confirm, "
        "or tell us if you need another time. Reply STOP to opt out.",
        "es": "Hola {{ first_name }}, le recordamos de {{ practice_name }}: le esperamos el "
        "{{ appointment_day }} a las {{ appointment_time }} en {{ office_name }}. Responda C para "
        "confirmar, o díganos si necesita otro horario. Responda STOP para no recibir más mensajes.",
    },
}
"""Reminder texts: the day, the time and the office, nothing about the care (a lock screen is public)."""
REMINDER_EMAILS: dict[str, dict[str, tuple[str, str]]] = {
    "appointment-confirmation-email": {
        "en": (
            "Your visit on {{ appointment_day }} at {{ appointment_time }}",
            "Hi {{ first_name }},\n\nYour visit at {{ practice_name }}, {{ office_name }}, is booked "
            "for {{ appointment_day }} at {{ appointment_time }}.\n\nIf you need another time, call "
            "us at {{ office_phone }}.\n\nThe team at {{ practice_name }}",
        ),
        "es": (
            "Su cita el {{ appointment_day }} a las {{ appointment_time }}",
            "Hola {{ first_name }}:\n\nSu cita en {{ practice_name }}, {{ office_name }}, es el "
            "{{ appointment_day }} a las {{ appointment_time }}.\n\nSi necesita otro horario, "
            "llámenos al {{ office_phone }}.\n\nEl equipo de {{ practice_name }}",
        ),
    },
    "appointment-reminder-email": {
        "en": (
            "See you {{ appointment_day }} at {{ appointment_time }}",
            "Hi {{ first_name }},\n\nA reminder: we will see you {{ appointment_day }} at "
            "{{ appointment_time }} at {{ office_name }}.\n\nIf you need another time, call us at "
            "{{ office_phone }}.\n\nThe team at {{ practice_name }}",
        ),
        "es": (
            "Le esperamos el {{ appointment_day }} a las {{ appointment_time }}",
            "Hola {{ first_name }}:\n\nLe recordamos su cita el {{ appointment_day }} a las "
            "{{ appointment_time }} en {{ office_name }}.\n\nSi necesita otro horario, llámenos al "
            "{{ office_phone }}.\n\nEl equipo de {{ practice_name }}",
        ),
    },
}
REMINDER_NAMES = {
    "appointment-confirmation-text": "Appointment confirmation: text",
    "appointment-confirmation-email": "Appointment confirmation: email",
    "appointment-reminder-text": "Appointment reminder: text",
    "appointment-reminder-email": "Appointment reminder: email",
}
