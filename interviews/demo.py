"""The demo data: courses, questions, one approver and one student."""

from decimal import Decimal

DEMO_APPROVER = ("admin1", "admin123", "Asha Admin", "admin1@example.com")
DEMO_STUDENT = ("student1", "student123", "Sam Student", "student1@example.com")
DEMO_USERNAMES = [DEMO_APPROVER[0], DEMO_STUDENT[0]]

DEMO_COURSES = [
    {
        "slug": "software-engineer-fresher",
        "title": "Software Engineer (Fresher)",
        "description": "Campus-placement style questions on problem solving, "
        "projects and teamwork for final-year engineering students.",
        "duration_minutes": 30,
        "questions": [
            "Tell us about yourself and why you chose software engineering.",
            "Walk us through the most challenging project you have built. "
            "What would you do differently?",
            "Explain the difference between a process and a thread to a non-engineer.",
            "Describe a time you disagreed with a teammate. How did you resolve it?",
        ],
    },
    {
        "slug": "data-analyst",
        "title": "Data Analyst",
        "description": "SQL thinking, storytelling with data and business sense, "
        "as asked by analytics teams.",
        "duration_minutes": 30,
        "questions": [
            "How would you find out why weekly sales dropped by 15%?",
            "Explain a chart you made that changed someone's decision.",
            "What is the difference between a mean and a median, and when "
            "does it matter?",
        ],
    },
    {
        "slug": "hr-round",
        "title": "HR Round",
        "description": "The classic HR questions: strengths, weaknesses, "
        "goals and salary expectations.",
        "duration_minutes": 20,
        "questions": [
            "What are your greatest strengths and one weakness you are working on?",
            "Where do you see yourself in five years?",
            "Why should we hire you over other candidates?",
        ],
    },
    {
        "slug": "product-manager",
        "title": "Product Manager (Associate)",
        "description": "Product sense, prioritisation and communication for APM roles.",
        "duration_minutes": 45,
        "questions": [
            "Pick an app you use daily. How would you improve it?",
            "You have three features and time for one. How do you choose?",
            "How would you measure the success of UPI payments in a shopping app?",
            "Tell us about a time you influenced people without authority.",
            "Explain a technical trade-off to a business stakeholder.",
        ],
    },
    {
        "slug": "bank-po",
        "title": "Bank PO Interview",
        "description": "Banking awareness, current affairs and personal questions "
        "for probationary officer interviews.",
        "duration_minutes": 25,
        "questions": [
            "Why do you want to join the banking sector?",
            "What is the role of the Reserve Bank of India?",
            "How has UPI changed the way people in India pay?",
            "Tell us about your hometown and its economy.",
        ],
    },
]
DEMO_FEE = Decimal("200.00")
