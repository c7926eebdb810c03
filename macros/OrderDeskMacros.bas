Attribute VB_Name = "OrderDeskMacros"
' OrderDesk buttons. Each runs the same Python function as the orderdesk command,
' against the open workbook (xlwings RunPython; errors come back as a message box).
Option Explicit

Public Sub ContractReview()
    RunPython "import addin.excel.actions as a; a.contract_review()"
End Sub

Public Sub RefreshRiskColours()
    RunPython "import addin.excel.actions as a; a.refresh_risk_colours()"
End Sub

Public Sub RefreshOtdPivot()
    RunPython "import addin.excel.actions as a; a.refresh_otd_pivot()"
End Sub

Public Sub RootCauseSummary()
    RunPython "import addin.excel.actions as a; a.root_cause_summary()"
End Sub

Public Sub PromiseDate()
    RunPython "import addin.excel.actions as a; a.promise_date()"
End Sub
